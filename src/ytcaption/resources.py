"""The names and settings of every AWS resource, shared by the CDK app and the
local bootstrap so the two cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PREFIX = "ytcaption"

BUCKET = f"{PREFIX}-media"
TABLE = f"{PREFIX}-jobs"
TABLE_GSI_TENANT = "by-tenant"
# Items with this attribute (epoch seconds) are deleted by DynamoDB's TTL (e.g. upload registrations).
TABLE_TTL_ATTRIBUTE = "expires_at"
QUEUE = f"{PREFIX}-transcribe"
# One queue per priority (normal is QUEUE); workers look at high first and never starve low.
QUEUE_HIGH = f"{PREFIX}-transcribe-high"
QUEUE_LOW = f"{PREFIX}-transcribe-low"
DLQ = f"{PREFIX}-transcribe-dlq"
# S3 upload events reach the intake Lambda through this queue (batches, partial failures,
# retries, then its dead-letter queue): an event is never dropped after a failed invocation.
INTAKE_QUEUE = f"{PREFIX}-intake"
INTAKE_DLQ = f"{PREFIX}-intake-dlq"
INTAKE_BATCH_SIZE = 10
# Lambda's advice: at least six times the function's timeout, so a batch is not redelivered mid-run.
INTAKE_VISIBILITY_SECONDS = 180
INTAKE_MAX_RECEIVES = 5
# The reconciler starts uploads that landed but have no job, whatever happened to their event.
RECONCILE_SCHEDULE = "rate(5 minutes)"
STATE_MACHINE = f"{PREFIX}-transcription"
EVENT_SOURCE = "ytcaption"
# The CDK app archives every job event on the default bus this long (replayable).
EVENT_ARCHIVE_DAYS = 30

# Live updates (WebSocket): who listens to which job lives in its own table, each item expiring with
# the connection (API Gateway closes a WebSocket after 2 hours; a message from the client refreshes it).
CONNECTIONS_TABLE = f"{PREFIX}-connections"
CONNECTION_TTL_SECONDS = 2 * 3600 + 600
# The WebSocket API (AWS) and its stage; locally the API serves the same protocol on this path.
LIVE_API = f"{PREFIX}-live"
LIVE_STAGE = "live"
LIVE_PATH = "/v1/live"
# Where a job's audio link (a ticket: store/audiolinks.py) is redeemed without a key: outside /v1, like
# the web page's own open routes (API Gateway lets it through without the authorizer).
AUDIO_LINK_PATH = "/audio"

# The GPU workers' ECS cluster and service (locally: an ECS service in the emulator whose running
# count the local runtime keeps equal to its worker processes), read by the fast lane's router.
WORKER_CLUSTER = f"{PREFIX}-workers"
WORKER_SERVICE = f"{PREFIX}-worker"

# The models the fast lane's image carries (containers/fast_lane/Dockerfile bakes these in).
FAST_LANE_MODELS = ("tiny.en", "base")

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
class Names:
    """Every resource name of one deployment, derived from its prefix.

    The constants above are the names for the default prefix (the local runtime's); the CDK app
    uses `names(prefix)` with its `namePrefix` setting, so two stacks can share an account and
    region. Code that runs in AWS never reads these: it gets the names through YTC_* variables.
    """

    prefix: str = PREFIX

    @property
    def bucket(self) -> str:
        return f"{self.prefix}-media"

    @property
    def table(self) -> str:
        return f"{self.prefix}-jobs"

    @property
    def queue(self) -> str:
        return f"{self.prefix}-transcribe"

    @property
    def queue_high(self) -> str:
        return f"{self.prefix}-transcribe-high"

    @property
    def queue_low(self) -> str:
        return f"{self.prefix}-transcribe-low"

    @property
    def dlq(self) -> str:
        return f"{self.prefix}-transcribe-dlq"

    @property
    def intake_queue(self) -> str:
        return f"{self.prefix}-intake"

    @property
    def intake_dlq(self) -> str:
        return f"{self.prefix}-intake-dlq"

    @property
    def state_machine(self) -> str:
        return f"{self.prefix}-transcription"

    @property
    def connections_table(self) -> str:
        return f"{self.prefix}-connections"

    @property
    def worker_cluster(self) -> str:
        return f"{self.prefix}-workers"

    @property
    def worker_service(self) -> str:
        return f"{self.prefix}-worker"

    def function(self, name: str) -> str:
        """The function name of a LAMBDAS entry (`LambdaSpec.name`)."""
        return f"{self.prefix}-{name}"


def names(prefix: str = PREFIX) -> Names:
    return Names(prefix)


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
    # Layers besides the core package and its dependencies ("js": yt-dlp's JavaScript runtime).
    extra_layers: tuple[str, ...] = ()
    # A container image function (its Dockerfile under containers/<image>/) instead of a zip on the
    # layers; locally it runs from functions/<folder> like every other function.
    image: str = ""

    @property
    def function_name(self) -> str:
        return f"{PREFIX}-{self.name}"


LAMBDAS: tuple[LambdaSpec, ...] = (
    LambdaSpec("intake", "intake", timeout_seconds=30, memory_mb=256, in_state_machine=False),
    LambdaSpec("reconcile-uploads", "reconcile_uploads", timeout_seconds=300, memory_mb=256, in_state_machine=False),
    LambdaSpec(
        "fetch-audio",
        "fetch_audio",
        timeout_seconds=900,
        memory_mb=1024,
        ephemeral_storage_mb=4096,
        extra_layers=("js",),
    ),
    LambdaSpec("record-failure", "record_failure", timeout_seconds=30, memory_mb=256),
    LambdaSpec("notify", "notify", timeout_seconds=60, memory_mb=256),
    # The public HTTP API (FastAPI via Mangum) behind API Gateway: 29 s is API Gateway's own limit.
    LambdaSpec("api", "api", timeout_seconds=29, memory_mb=512, in_state_machine=False),
    # API Gateway's REQUEST authorizer: checks a tenant key against its hash (answers cached per key).
    LambdaSpec("authorizer", "authorizer", timeout_seconds=10, memory_mb=256, in_state_machine=False),
    # An execution stopped in the console, timed out or failed uncaught: its job ends too.
    LambdaSpec("reconcile-executions", "reconcile_executions", timeout_seconds=60, memory_mb=256,
               in_state_machine=False),
    # Live updates: every job event on the bus -> the job's log, then posted to its WebSocket subscribers.
    # No reserved concurrency (a reservation can fail a first deploy, and the bus's asynchronous
    # invocations keep no order anyway): events carry their `sequence`, and readers order by it.
    LambdaSpec("live", "live", timeout_seconds=60, memory_mb=256, in_state_machine=False),
    # The WebSocket API's routes ($connect, $disconnect, $default: subscribe, unsubscribe, ping).
    LambdaSpec("live-socket", "live_socket", timeout_seconds=29, memory_mb=256, in_state_machine=False),
    # A playlist, channel or feed: listed (yt-dlp, flat) into one job per entry; invoked asynchronously by the API.
    LambdaSpec("expand-batch", "expand_batch", timeout_seconds=300, memory_mb=512, in_state_machine=False),
    # Every few minutes: a batch whose expansion died is expanded again, or ends FAILED with a reason.
    LambdaSpec("reconcile-batches", "reconcile_batches", timeout_seconds=120, memory_mb=256,
               in_state_machine=False),
    # The fast lane's router: reads the worker service's running count (ytcaption.fastlane.route).
    LambdaSpec("pick-lane", "pick_lane", timeout_seconds=10, memory_mb=256),
    # The fast lane: Whisper on CPU inside Lambda (ytcaption.fastlane), as a container image with the small
    # models baked in. Memory and timeout here are the local runtime's; the CDK app sets them from context
    # (fastLaneMemoryMiB, fastLaneTimeoutSeconds). Lambda's cap is 15 minutes: the function hands a job
    # it cannot finish in time back to the GPU queue.
    LambdaSpec("fast-lane", "fast_lane", timeout_seconds=900, memory_mb=4096, image="fast_lane",
               environment={"HF_HUB_OFFLINE": "1"}, ephemeral_storage_mb=4096),
)  # fmt: skip


def execution_end_pattern(state_machine_arn: str) -> dict[str, Any]:
    """The EventBridge pattern of executions of our state machine that ended abnormally
    (rule `{prefix}-execution-ends`, target `reconcile-executions`)."""
    return {
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"status": ["ABORTED", "TIMED_OUT", "FAILED"], "stateMachineArn": [state_machine_arn]},
    }


def live_event_pattern() -> dict[str, Any]:
    """Every event the app publishes (rule `{prefix}-live`, target `live`): a job's, and a batch's end too
    (`batch.completed`, correlation id the batch's id): it goes to the tenant's all-jobs subscribers, so a
    page following the tenant hears that a batch ended; no one subscribes to a batch id itself."""
    return {"source": [EVENT_SOURCE]}


# The progress event's type (ytcaption.finish.events.PROGRESS; a unit test keeps them equal).
PROGRESS_EVENT_TYPE = "transcription.progress"


def progress_webhook_pattern() -> dict[str, Any]:
    """Progress events of jobs that asked for progress webhooks (the envelope's `data.webhook`; rule
    `{prefix}-progress-webhooks`, target `notify`): the notification path, not the worker, sends them
    to the job's webhook; no Lambda runs for the progress of any other job."""
    return {"source": [EVENT_SOURCE], "detail-type": [PROGRESS_EVENT_TYPE], "detail": {"data": {"webhook": [True]}}}


def lambda_spec(name: str) -> LambdaSpec:
    return next(spec for spec in LAMBDAS if spec.name == name)


def lambda_environment(names: Names | None = None) -> dict[str, str]:
    """Environment every function gets: where the resources are (never endpoints).

    One variable per resource-name setting (ytcaption.settings: YTC_ + the field's name), so
    no function falls back to a default name in a stack with another prefix.
    """
    names = names or Names()
    return {
        "YTC_BUCKET": names.bucket,
        "YTC_TABLE": names.table,
        "YTC_QUEUE_NAME": names.queue,
        "YTC_QUEUE_NAME_HIGH": names.queue_high,
        "YTC_QUEUE_NAME_LOW": names.queue_low,
        "YTC_DLQ_NAME": names.dlq,
        "YTC_STATE_MACHINE": names.state_machine,
        "YTC_CONNECTIONS_TABLE": names.connections_table,
        "YTC_EXPAND_BATCH_FUNCTION": names.function("expand-batch"),
        "POWERTOOLS_SERVICE_NAME": names.prefix,
        "POWERTOOLS_METRICS_NAMESPACE": "YTCaption",
    }


def asl_placeholders(
    *, region: str, account: str, queue_url: str, high_queue_url: str, low_queue_url: str, table: str = TABLE
) -> dict[str, str]:
    """Values for every ${Placeholder} in the state machine definition."""
    values = {
        "JobsTable": table,
        "TranscribeQueueUrl": queue_url,
        "TranscribeHighQueueUrl": high_queue_url,
        "TranscribeLowQueueUrl": low_queue_url,
    }
    for spec in LAMBDAS:
        if not spec.in_state_machine:
            continue
        key = "".join(part.capitalize() for part in spec.name.split("-")) + "FunctionArn"
        values[key] = f"arn:aws:lambda:{region}:{account}:function:{spec.function_name}"
    return values
