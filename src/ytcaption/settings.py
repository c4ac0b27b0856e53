"""Settings read from the environment (prefix YTC_).

The AWS endpoint is deliberately not a setting: boto3 reads AWS_ENDPOINT_URL
itself, so the same code talks to AWS, LocalStack or the embedded emulator.
"""

from __future__ import annotations

import math
import os
from functools import lru_cache

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ytcaption import resources
from ytcaption.domain.sites import YOUTUBE_HOSTS


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YTC_", extra="ignore")

    region: str = Field(
        default_factory=lambda: os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    )
    bucket: str = resources.BUCKET
    table: str = resources.TABLE
    queue_name: str = resources.QUEUE
    queue_name_high: str = resources.QUEUE_HIGH
    queue_name_low: str = resources.QUEUE_LOW
    dlq_name: str = resources.DLQ
    state_machine: str = resources.STATE_MACHINE
    connections_table: str = resources.CONNECTIONS_TABLE
    expand_batch_function: str = resources.names().function("expand-batch")

    default_model: str = "base"
    # The models this deployment's workers serve (comma-separated), e.g. the one baked into the GPU
    # image; a job asking for another is refused at intake. "" accepts any model a worker can load.
    served_models: str = ""
    # Whether this deployment's workers carry the speaker engine (the encoder's weights); unset: whether
    # this installation has them (the local runtime's workers share it). A job asking for speakers
    # where they do not is refused at intake.
    speakers_served: bool | None = None
    # A worker's lease on a job lasts this long; it renews it every third of it.
    heartbeat_seconds: int = resources.HEARTBEAT_SECONDS
    # A dead worker's message reappears this long after its lease lapsed.
    lease_margin_seconds: float = resources.LEASE_MARGIN_SECONDS
    # How often a job is taken over after its worker was lost, before it fails WORKER_TIMEOUT;
    # the k-th take-over (k >= 2) waits heartbeat_seconds * 2^(k-2) longer (at most lost_worker_backoff_max_seconds).
    lost_worker_retries: int = Field(default=3, ge=0)
    lost_worker_backoff_max_seconds: float = 900
    # How long a queued job may wait for a worker (the state machine's backstop is this plus the job's limit).
    queue_wait_limit_seconds: int = 24 * 3600
    # Workers look at the high-priority queue first, then normal, then low; every this many takes they
    # look at low first, so low-priority work is never starved (1: strict priority).
    priority_fairness_every: int = Field(default=5, ge=1)
    # How long one receive of an idle worker lasts before it returns empty and begins again with a
    # quick look at every queue in priority order; within it the worker long-polls the normal queue 3 s
    # at a time with a quick look at the high and low queues between (worker.messages): one request a
    # second per idle worker.
    poll_wait_seconds: int = Field(default=20, ge=0, le=20)

    max_media_seconds: float = 4 * 3600
    # Transcription time limit: a floor plus a multiple of the audio length.
    timeout_floor_seconds: int = 900
    timeout_per_audio_second: float = 3.0

    # Long audio: a file longer than this is cut into chunks at silences, transcribed in parallel.
    chunk_threshold_seconds: float = Field(default=600, gt=0)
    # About how long a chunk is; its cut falls in the silence nearest the target, within the search.
    chunk_target_seconds: float = Field(default=150, ge=30)
    chunk_search_seconds: float = Field(default=20, ge=0)
    # A pause at least this long may take a cut.
    chunk_min_silence_seconds: float = Field(default=0.3, gt=0)
    # Where no silence is near, neighbouring chunks overlap by this much (the merge decides by time).
    chunk_overlap_seconds: float = Field(default=2.0, ge=0)
    # How many chunks of one job may wait for or run on workers at once (the Map's MaxConcurrency).
    chunk_max_concurrency: int = Field(default=16, ge=1, le=1000)

    # The fast lane (ytcaption.fastlane): a job, or each chunk of a long one, transcribed on Lambda instead
    # of the GPU queue when its model is one the lane serves and either its audio is short or no GPU
    # worker is warm. False turns the lane off: every job takes the GPU queue.
    fast_lane: bool = True
    # The models the fast-lane image carries (comma-separated); any other model takes the GPU queue.
    fast_lane_models: str = ",".join(resources.FAST_LANE_MODELS)
    # The models the GPU workers' image carries ("": they load any model): a model only the fast lane
    # carries always takes the fast lane.
    worker_models: str = ""
    # Audio at most this long takes the fast lane even when a GPU worker is warm (0: only when none is).
    fast_lane_short_seconds: float = Field(default=180, ge=0)
    # How many chunks of one long job run as fast-lane Lambdas at once (the fast Map's MaxConcurrency).
    fast_lane_concurrency: int = Field(default=8, ge=1, le=1000)
    # The fast lane stops this long before its function's own timeout, releases the work and hands it to
    # the GPU queue (room to answer before Lambda ends the invocation).
    fast_lane_margin_seconds: float = Field(default=30, ge=0)
    # Where the GPU workers run (ECS): the router reads the service's runningCount to tell whether one
    # is warm. Empty: no worker service is known, so none is taken to be warm.
    worker_cluster: str = resources.WORKER_CLUSTER
    # The workers' ECS service in that cluster (see worker_cluster).
    worker_service: str = resources.WORKER_SERVICE

    # Sites whose URLs may be fetched (host or parent domain); "*" allows any public site.
    allowed_sites: str = ",".join(YOUTUBE_HOSTS)
    # Off in production: lets tests and local use fetch from 127.0.0.1 / ::1.
    allow_loopback_urls: bool = False

    # Downloads (yt-dlp). Secrets (cookies, proxy) come from Secrets Manager in AWS
    # (download_secret_id: JSON {"cookies": "...netscape cookies...", "proxy": "..."}),
    # or from a file / plain settings locally.
    download_secret_id: str = ""
    download_cookies_file: str = ""
    download_proxy: str = ""
    download_user_agents: str = ""  # one per line or "|"-separated; rotated per download
    download_socket_timeout: float = 20.0
    max_download_bytes: int = 2 * 1024**3
    # Circuit breaker on blocked downloads, shared by every Lambda through DynamoDB.
    breaker_threshold: int = 3
    breaker_window_seconds: int = 600
    breaker_reset_seconds: int = 300

    # Public API (functions/api). API keys are stored as HMAC-SHA256(pepper, key) when a
    # pepper is set, else as SHA-256 of the key (a 256-bit random secret either way).
    api_key_pepper: str = ""
    # Tenants whose API keys may use the operator routes (/v1/admin/...), comma-separated.
    admin_tenants: str = "admin"
    # A request identical to a completed job of the same tenant is answered from its result.
    result_cache: bool = True
    # Per-tenant limits (an API key's own limits override these).
    tenant_max_jobs_in_flight: int = 20
    tenant_max_audio_seconds_per_day: float = 24 * 3600
    tenant_max_upload_bytes: int = 2 * 1024**3
    # Batches (playlists, channels, feeds): entries a batch may have, and entries a tenant's unfinished
    # batches may hold together (a key's limits may set their own).
    tenant_max_batch_items: int = 100
    tenant_max_batch_entries_in_flight: int = 200
    upload_url_ttl_seconds: int = 3600
    # Origins (comma-separated, e.g. "https://captions.example.com") whose pages may call the API
    # from the browser (CORS); "" allows none but the API's own origin, which serves the web page.
    cors_origins: str = ""

    # The upload reconciler looks at uploads this old (their own event had its chance) up to this old.
    reconcile_min_age_seconds: int = Field(default=120, ge=0)
    reconcile_window_seconds: int = Field(default=3 * 3600, ge=60)
    # The batch reconciler takes an expansion unfinished this long after it started for dead (ExpandBatch's
    # timeout is 5 minutes; Lambda's own retries of it come within minutes), and runs one this often in all.
    batch_expansion_stale_seconds: int = Field(default=15 * 60, ge=0)
    batch_expansion_attempts: int = Field(default=3, ge=1, le=10)

    # Webhooks: https only outside local mode; each attempt waits this long at most.
    webhook_require_https: bool = True
    webhook_timeout_seconds: float = 10.0

    # Email (option notify_email): Amazon SES v2 sends as this identity ("Name <address>" or an
    # address); empty: no email is sent. Links in emails start with public_api_url.
    email_sender: str = ""
    public_api_url: str = ""

    # Live updates: where the `live` Lambda posts to WebSocket connections (the management API of the
    # WebSocket stage, https://<api>.execute-api.<region>.amazonaws.com/<stage>; locally the local API).
    live_endpoint: str = ""
    # The live-updates WebSocket's public address (AWS: the stage's wss://…/live URL, the stack output
    # LiveUrl), told to the web page the API serves; empty: the page tries the API's own /v1/live.
    public_live_url: str = ""
    # The local runtime only: the API process serves the live-updates WebSocket (resources.LIVE_PATH)
    # and the management API (`/@connections/{id}`) the `live` Lambda posts to its connections through.
    serve_live: bool = False

    # The local runtime only: Lambda sandboxes one function may run at once (its concurrency limit).
    local_lambda_concurrency: int = Field(default=4, ge=1, le=64)
    # The local runtime only: run Lambda handlers from these built layers (os.pathsep-separated folders of
    # scripts/build_layers.py, e.g. layers/build/core, deps-x86_64, js-x86_64) as Lambda lays them out,
    # instead of from the venv; "" runs them from the venv.
    local_lambda_layers: str = ""

    model_cache_dir: str = Field(default_factory=lambda: os.path.expanduser("~/.cache/ytcaption/models"))
    worker_threads: int = 0  # 0: as many as the cores this process may use
    # On a GPU the worker decodes this many VAD segments at once (faster-whisper's BatchedInferencePipeline;
    # jobs with VAD on); 0 decodes one window after another (benchmarks/gpu_throughput.py measures both).
    cuda_batch_size: int = Field(default=8, ge=0, le=64)
    # The same on a CPU, off by default: batched is 1.3-2x faster (1.3-1.5x on one core), but it drops the previous
    # window's text as context (WER +0.3 to +0.8 points measured) and reports progress once per batch, so a
    # clip shorter than ten batches would skip the 10 % progress steps. Set it for throughput over both.
    cpu_batch_size: int = Field(default=0, ge=0, le=64)
    # Model a worker loads before taking work: "" means default_model, "none" nothing.
    worker_preload: str = ""

    @model_validator(mode="after")
    def _default_is_served(self) -> Settings:
        served = self.served()
        if served is not None and self.default_model not in served:
            raise ValueError(f"default_model {self.default_model!r} is not among served_models {self.served_models!r}")
        return self

    def served(self) -> list[str] | None:
        """The models workers serve, default first; None when any loadable model is accepted."""
        models = [m.strip() for m in self.served_models.split(",") if m.strip()]
        if not models:
            return None
        return sorted(set(models), key=lambda m: (m != self.default_model, models.index(m)))

    def serves(self, model: str) -> bool:
        served = self.served()
        return served is None or model in served

    def serves_speakers(self) -> bool:
        if self.speakers_served is not None:
            return self.speakers_served
        from ytcaption.worker.speakers.locate import available

        return available()

    @property
    def visibility_seconds(self) -> int:
        """How long a worker keeps its message hidden from one renewal: past its lease, plus the margin."""
        return math.ceil(self.heartbeat_seconds + self.lease_margin_seconds)

    def lost_worker_backoff(self, takeover: int) -> float:
        """Extra wait before the `takeover`-th take-over of a job whose worker was lost (the first: none)."""
        if takeover <= 1:
            return 0.0
        return float(min(self.lost_worker_backoff_max_seconds, self.heartbeat_seconds * 2 ** (takeover - 2)))

    def cors_allowed(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    def transcription_timeout(self, duration_seconds: float | None) -> int:
        if not duration_seconds:
            return self.timeout_floor_seconds + int(self.max_media_seconds * self.timeout_per_audio_second)
        return self.timeout_floor_seconds + int(duration_seconds * self.timeout_per_audio_second)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
