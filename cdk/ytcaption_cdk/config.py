"""Deployment settings, read from CDK context (cdk.json, or `-c key=value`).

Every key has a default here; cdk.json repeats the defaults so they are visible
and editable in one place (a test keeps the two equal).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields
from typing import Any

from constructs import Node

from ytcaption import resources

# The Whisper model baked into the worker image when `whisperModel` is empty.
DEFAULT_MODEL = {"gpu": "large-v3-turbo", "fargate": "base"}


# namePrefix: lowercase, starts with a letter; short enough for the bucket name
# (<prefix>-media-<account>-<region>, 63 characters at most).
_NAME_PREFIX = re.compile(r"^[a-z][a-z0-9-]{0,18}[a-z0-9]$")


@dataclass(frozen=True)
class Config:
    # Every resource name starts with this (table, queues, functions, state machine, topic,
    # dashboard, bucket...): a second stack in the same account and region needs its own prefix.
    # The default stack keeps the CloudFormation stack name YTCaption; another prefix deploys
    # as the stack YTCaption-<prefix>.
    namePrefix: str = resources.PREFIX
    # Workers: "gpu" (ECS on EC2 GPU instances) or "fargate" (CPU, small models).
    workerCompute: str = "gpu"
    # false: no worker service (e.g. LocalStack without ECS; run `ytcaption worker` yourself).
    deployWorkers: bool = True
    # Model baked into the worker image; "" picks large-v3-turbo (gpu) or base (fargate).
    whisperModel: str = ""
    # A prebuilt worker image (ECR URI); "" builds containers/whisper at deploy time.
    workerImage: str = ""
    # GPU instance types, tried in order (Spot capacity-optimized across all of them).
    gpuInstanceTypes: tuple[str, ...] = ("g6.xlarge", "g5.xlarge", "g4dn.xlarge")
    # Spot first: tasks are placed spotWeight:onDemandWeight between Spot and on-demand capacity.
    # onDemandWeight 0 = Spot only; gpuSpot false = on-demand only.
    gpuSpot: bool = True
    spotWeight: int = 3
    onDemandWeight: int = 1
    # Fargate (CPU) task size.
    fargateCpu: int = 2048
    fargateMemoryMiB: int = 4096
    # Scaling: 0..maxWorkers tasks, one per `messagesPerWorker` queued or in-flight messages.
    maxWorkers: int = 4
    messagesPerWorker: int = 2
    # Minutes with an empty queue before the last worker goes.
    scaleToZeroAfterMinutes: int = 15
    # Storage lifecycle (days). resultsExpireDays 0 keeps results forever.
    uploadsExpireDays: int = 7
    audioExpireDays: int = 7
    resultsExpireDays: int = 365
    noncurrentVersionsExpireDays: int = 30
    # true: the media bucket (and its access-log bucket) and the jobs table outlive the stack and
    # the table is deletion-protected (a re-deploy under the same names must wait until they are
    # deleted by hand). false: all three are deleted with the stack, objects included (test and
    # throw-away stacks).
    retainData: bool = True
    # Longest audio accepted (minutes).
    maxMediaMinutes: int = 240
    # Secrets Manager secret for yt-dlp, JSON {"cookies": "<cookies.txt>", "proxy": "http://..."}
    # (YouTube blocks many cloud IP ranges); "" for none.
    downloadSecretName: str = ""
    # SES identity jobs with notify_email are emailed from ("YTCaption <noreply@example.com>" or an
    # address; the address or its domain must be verified in SES); "" sends no email.
    emailSender: str = ""
    # API Gateway stage throttling (all clients together); each tenant's own limits are the app's.
    apiRateLimit: int = 10
    apiBurstLimit: int = 20
    # API Gateway's account-wide CloudWatch role (needed for the stage's logs): true creates it and
    # points the region's API Gateway setting at it, both retained on stack deletion; false expects
    # the account to have one already (managed elsewhere).
    apiGatewayAccountRole: bool = True
    # NAT gateways: 0 puts workers in public subnets (nothing runs while idle, nothing is paid);
    # 1+ puts them in private subnets behind NAT.
    natGateways: int = 0
    maxAzs: int = 2
    logRetentionDays: int = 30
    # Alarms: SNS topic subscription (empty: none) and thresholds.
    alarmEmail: str = ""
    failedExecutionsThreshold: int = 5
    queueAgeAlarmMinutes: int = 30
    # The fast lane (docs/operate/fast-lane.md): jobs of a model it carries (tiny.en, base) run in a Lambda
    # container image when their audio is short (fastLaneShortSeconds) or no GPU worker is warm. false: off,
    # and its function and image are not deployed (no Docker build for it).
    fastLane: bool = True
    # 3008 MB (about 2 vCPUs) deploys in any account: new accounts may be held to that until a quota
    # increase; 10240 (6 vCPUs) transcribes about three times as fast for about the same GB-seconds.
    fastLaneMemoryMiB: int = 3008
    # The function's own clock (Lambda's limit is 900 s); a job it cannot finish in time is handed to the GPU queue.
    fastLaneTimeoutSeconds: int = 900
    # Audio at most this long (seconds) takes the fast lane even when a GPU worker is warm.
    fastLaneShortSeconds: int = 180
    # How many chunks of one long job run as fast-lane Lambdas at once (the Map's MaxConcurrency); keep
    # it under the account's Lambda concurrency quota (10 in a new account, 1,000 by default).
    fastLaneConcurrency: int = 8
    # An EC2 Auto Scaling warm pool of stopped GPU instances for the on-demand group: a scale-out resumes
    # one in about a minute instead of launching one; scaled-in instances return to the pool with the image
    # on their disk (used as cached). Stopped instances cost their EBS volumes only. Off by default.
    gpuWarmPool: bool = False
    # Stopped instances kept in the warm pool.
    gpuWarmPoolSize: int = 1
    # Synthesize with empty placeholder layers when layers/build is missing (tests, quick looks;
    # never deploy such a template: `make layers` builds the real ones).
    placeholderLayers: bool = False

    @classmethod
    def from_context(cls, node: Node) -> Config:
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = node.try_get_context(f.name)
            if raw is None:
                continue
            values[f.name] = _coerce(f.name, raw, getattr(cls, f.name))
        config = cls(**values)
        config.validate()
        return config

    def validate(self) -> None:
        if self.workerCompute not in DEFAULT_MODEL:
            raise ValueError(f"workerCompute must be one of {sorted(DEFAULT_MODEL)}, not {self.workerCompute!r}")
        if self.maxWorkers < 1 or self.messagesPerWorker < 1:
            raise ValueError("maxWorkers and messagesPerWorker must be at least 1")
        if not self.gpuInstanceTypes:
            raise ValueError("gpuInstanceTypes must name at least one instance type")
        if not _NAME_PREFIX.match(self.namePrefix):
            raise ValueError(
                f"namePrefix must be 2-20 lowercase letters, digits or hyphens, starting with a letter "
                f"and not ending with a hyphen, not {self.namePrefix!r}"
            )
        if self.workerImage and not self.whisperModel:
            # The workers run offline (HF_HUB_OFFLINE=1) with the model the image holds: guessing
            # the default would start workers that fail every job looking for another model.
            raise ValueError(
                f"workerImage is set ({self.workerImage}), so whisperModel must name the model baked into "
                "that image (its WHISPER_MODEL build argument), e.g. -c whisperModel=large-v3-turbo"
            )
        if not 128 <= self.fastLaneMemoryMiB <= 10240:
            raise ValueError("fastLaneMemoryMiB must be 128-10240 (Lambda's range)")
        if not 60 <= self.fastLaneTimeoutSeconds <= 900:
            raise ValueError("fastLaneTimeoutSeconds must be 60-900 (Lambda's limit is 15 minutes)")
        # The same bounds as the settings these become (ytcaption.settings): a value the settings refuse
        # would stop every function from starting.
        if not 1 <= self.fastLaneConcurrency <= 1000:
            raise ValueError("fastLaneConcurrency must be 1-1000")
        if self.fastLaneShortSeconds < 0 or self.gpuWarmPoolSize < 0:
            raise ValueError("fastLaneShortSeconds and gpuWarmPoolSize must be at least 0")
        if self.gpuSpot and self.spotWeight < 1:
            raise ValueError("spotWeight must be at least 1 when gpuSpot is on")

    @property
    def names(self) -> resources.Names:
        return resources.names(self.namePrefix)

    @property
    def model(self) -> str:
        return self.whisperModel or DEFAULT_MODEL[self.workerCompute]

    @property
    def served_models(self) -> str:
        """What every component accepts: the workers' model, and the fast lane's when it is on."""
        extra = [m for m in resources.FAST_LANE_MODELS if m != self.model] if self.fastLane else []
        return ",".join([self.model, *extra])

    @property
    def worker_models(self) -> str:
        """The models the workers' image carries: built here, the served ones (the fast lane's included, so
        a job it hands back finds its model); a prebuilt workerImage, its own model only (the router then
        keeps the fast lane's other models on the lane)."""
        return self.model if self.workerImage else self.served_models

    def as_context(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def _coerce(name: str, raw: Any, default: Any) -> Any:
    """Context from `-c key=value` arrives as a string; from cdk.json as JSON."""
    if isinstance(default, bool):
        if isinstance(raw, str):
            if raw.lower() not in {"true", "false", "1", "0", "yes", "no"}:
                raise ValueError(f"context {name}: expected true/false, got {raw!r}")
            return raw.lower() in {"true", "1", "yes"}
        return bool(raw)
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, tuple):
        if isinstance(raw, str):
            raw = json.loads(raw) if raw.startswith("[") else [s.strip() for s in raw.split(",") if s.strip()]
        return tuple(str(item) for item in raw)
    return str(raw)
