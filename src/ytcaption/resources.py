"""The names and settings of every AWS resource, shared by the CDK app and the
local bootstrap so the two cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass, field

PREFIX = "ytcaption"

BUCKET = f"{PREFIX}-media"
TABLE = f"{PREFIX}-jobs"
TABLE_GSI_TENANT = "by-tenant"
# Items with this attribute (epoch seconds) are deleted by DynamoDB's TTL (e.g. upload registrations).
TABLE_TTL_ATTRIBUTE = "expires_at"
QUEUE = f"{PREFIX}-transcribe"
DLQ = f"{PREFIX}-transcribe-dlq"
STATE_MACHINE = f"{PREFIX}-transcription"
EVENT_SOURCE = "ytcaption"

UPLOADS_PREFIX = "uploads/"
AUDIO_PREFIX = "audio/"
RESULTS_PREFIX = "results/"

# Worker liveness. A worker holds a job through a lease in DynamoDB that lasts
# HEARTBEAT_SECONDS and is renewed every HEARTBEAT_SECONDS / 3; while it works,
# its message stays hidden until LEASE_MARGIN_SECONDS after the lease's end. A
# worker that dies therefore lets its lease lapse first, and its message
# reappears LEASE_MARGIN_SECONDS later for another worker to take the job over.
# The state machine has no heartbeat of its own on the queue task: a message
# may wait in the queue for any time (scale from zero, more jobs than workers).
HEARTBEAT_SECONDS = 60
LEASE_MARGIN_SECONDS = 5
QUEUE_VISIBILITY_SECONDS = HEARTBEAT_SECONDS + LEASE_MARGIN_SECONDS
# Each take-over of a lost worker, each deferral and each hand-back on shutdown
# is one more receive: room for the lost-worker budget (settings.lost_worker_retries)
# and then some before a message is dead-lettered.
QUEUE_MAX_RECEIVES = 10
QUEUE_RETENTION_SECONDS = 4 * 24 * 3600


@dataclass(frozen=True)
class LambdaSpec:
    """One Lambda function: its code folder under the repository's functions/ and its runtime settings."""

    name: str
    folder: str
    timeout_seconds: int
    memory_mb: int
    handler: str = "handler.lambda_handler"
    environment: dict[str, str] = field(default_factory=dict)
    in_state_machine: bool = True
    # /tmp: FetchAudio keeps a downloaded file there before its multipart upload.
    ephemeral_storage_mb: int = 512

    @property
    def function_name(self) -> str:
        return f"{PREFIX}-{self.name}"


LAMBDAS: tuple[LambdaSpec, ...] = (
    LambdaSpec("intake", "intake", timeout_seconds=30, memory_mb=256, in_state_machine=False),
    LambdaSpec("fetch-audio", "fetch_audio", timeout_seconds=900, memory_mb=1024, ephemeral_storage_mb=4096),
    LambdaSpec("record-failure", "record_failure", timeout_seconds=30, memory_mb=256),
    LambdaSpec("notify", "notify", timeout_seconds=60, memory_mb=256),
    # The public HTTP API (FastAPI via Mangum) behind API Gateway: 29 s is API Gateway's own limit.
    LambdaSpec("api", "api", timeout_seconds=29, memory_mb=512, in_state_machine=False),
)


def lambda_spec(name: str) -> LambdaSpec:
    return next(spec for spec in LAMBDAS if spec.name == name)


def lambda_environment() -> dict[str, str]:
    """Environment every function gets: where the resources are (never endpoints)."""
    return {
        "YTC_BUCKET": BUCKET,
        "YTC_TABLE": TABLE,
        "POWERTOOLS_SERVICE_NAME": PREFIX,
        "POWERTOOLS_METRICS_NAMESPACE": "YTCaption",
    }


def asl_placeholders(*, region: str, account: str, queue_url: str, table: str = TABLE) -> dict[str, str]:
    """Values for every ${Placeholder} in the state machine definition."""
    values = {
        "JobsTable": table,
        "TranscribeQueueUrl": queue_url,
    }
    for spec in LAMBDAS:
        if not spec.in_state_machine:
            continue
        key = "".join(part.capitalize() for part in spec.name.split("-")) + "FunctionArn"
        values[key] = f"arn:aws:lambda:{region}:{account}:function:{spec.function_name}"
    return values
