"""What the public API does, without HTTP: authenticate, create, read, list, cancel
jobs, hand out upload tickets. The FastAPI app (ytcaption.api.app) only maps
routes to these methods; every refusal is an ApiProblem with a stable code."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from ytcaption import operations
from ytcaption.api.problems import ApiProblem
from ytcaption.api.schemas import (
    AdminTranscription,
    ErrorOut,
    JobEvent,
    Links,
    MediaOut,
    OptionsIn,
    OptionsOut,
    ResultLinks,
    SourceOut,
    Transcription,
    TranscriptionRequest,
    UploadRequest,
    UploadStatus,
    UploadTicket,
    WebhookDelivery,
)
from ytcaption.domain.errors import ErrorCode, InvalidTransition, YtcError
from ytcaption.domain.ids import idempotent_job_id, new_job_id, new_upload_id, upload_job_id
from ytcaption.domain.job import Job, JobOptions, JobStatus, S3Source, iso, utcnow
from ytcaption.domain.sites import source_identity
from ytcaption.intake.launch import create_from_result, launch_job, start_execution, state_machine_arn
from ytcaption.intake.urlpolicy import UrlPolicy, check_url, webhook_policy
from ytcaption.operations import cancel_job
from ytcaption.resources import TABLE_GSI_TENANT
from ytcaption.settings import Settings
from ytcaption.store import aws, keys
from ytcaption.store.apikeys import ApiKey, ApiKeyStore
from ytcaption.store.jobs import JobStore, from_dynamo
from ytcaption.store.media import CONTENT_TYPES, RESULT_FORMATS, upload_id_of_key, upload_key

log = logging.getLogger(__name__)

ACTIVE = [s.value for s in JobStatus if not s.terminal]
# Lambda answers are capped at 6 MB: larger results are handed out as a presigned link.
INLINE_RESULT_BYTES = 5_000_000
# Options that change the transcript; priority and webhook do not.
_CACHE_NEUTRAL = {"priority", "webhook_url", "notify_progress"}


@dataclass
class Hooks:
    """What the hosting process wants to hear about (the Lambda: metrics, log keys)."""

    metric: Callable[[str, float], None] = field(default=lambda name, value: None)
    job: Callable[[str], None] = field(default=lambda job_id: None)


def fingerprint(request: TranscriptionRequest) -> str:
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def cache_key(tenant: str, identity: str, options: JobOptions) -> str:
    payload = {"tenant": tenant, "source": identity, "options": options.model_dump(exclude=_CACHE_NEUTRAL)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def encode_cursor(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def _invalid_cursor() -> ApiProblem:
    return ApiProblem(
        422,
        "validation-error",
        "The cursor is not one this API handed out.",
        errors=[{"field": "query.cursor", "message": "invalid cursor", "type": "value_error"}],
    )


def _cursor_key(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise _invalid_cursor() from exc


def decode_cursor(cursor: str, tenant: str) -> dict[str, Any]:
    invalid = _invalid_cursor()
    key = _cursor_key(cursor)
    if (
        not isinstance(key, dict)
        or set(key) != {"pk", "sk", "gsi1pk", "gsi1sk"}
        or key["gsi1pk"] != keys.tenant_pk(tenant)
    ):
        raise invalid
    if not all(isinstance(v, str) for v in key.values()):
        raise invalid
    return key


def decode_scan_cursor(cursor: str) -> dict[str, Any]:
    """The operators' list cursor: a table scan's LastEvaluatedKey (pk and sk)."""
    key = _cursor_key(cursor)
    if not isinstance(key, dict) or set(key) != {"pk", "sk"} or not all(isinstance(v, str) for v in key.values()):
        raise _invalid_cursor()
    return key


def not_found(what: str) -> ApiProblem:
    return ApiProblem(404, "not-found", f"There is no {what}.")


class ApiService:
    def __init__(self, settings: Settings, hooks: Hooks | None = None) -> None:
        self.settings = settings
        self.hooks = hooks or Hooks()
        self.store = JobStore(settings.table)
        self.table = self.store.table
        self.keys = ApiKeyStore(settings.table, settings.api_key_pepper)
        self.url_policy = UrlPolicy.from_settings(settings.allowed_sites, settings.allow_loopback_urls)
        self.webhook_policy = webhook_policy(settings.allow_loopback_urls)

    # -- auth ---------------------------------------------------------------------

    def authenticate(self, key: str | None) -> ApiKey:
        if not key:
            raise ApiProblem(401, "unauthorized", "Send your API key in the X-Api-Key header.")
        record = self.keys.lookup(key.strip())
        if record is None:
            raise ApiProblem(401, "unauthorized", "The API key is not valid.")
        return record

    # -- reads --------------------------------------------------------------------

    def raw_job(self, job_id: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key=keys.job(job_id), ConsistentRead=True).get("Item")
        return from_dynamo(item) if item else None

    def visible_job(self, caller: ApiKey, job_id: str) -> dict[str, Any]:
        """The caller's job; another tenant's job is answered exactly like a missing one."""
        item = self.raw_job(job_id)
        if item is None or item.get("tenant") != caller.tenant:
            raise not_found(f"transcription {job_id}")
        self.hooks.job(job_id)
        return item

    def events(self, caller: ApiKey, job_id: str) -> list[JobEvent]:
        self.visible_job(caller, job_id)
        return [_event(item) for item in self.store.history(job_id)]

    def list_jobs(
        self, caller: ApiKey, status: str | None, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        query: dict[str, Any] = {
            "IndexName": TABLE_GSI_TENANT,
            "KeyConditionExpression": "gsi1pk = :t",
            "ExpressionAttributeValues": {":t": keys.tenant_pk(caller.tenant)},
            "ScanIndexForward": False,
        }
        if status:
            query["FilterExpression"] = "#s = :s"
            query["ExpressionAttributeNames"] = {"#s": "status"}
            query["ExpressionAttributeValues"][":s"] = status
        start = decode_cursor(cursor, caller.tenant) if cursor else None
        items: list[dict[str, Any]] = []
        for _ in range(20):  # bounded: a filter may leave pages empty
            page_query = {**query, "Limit": limit if not status else max(limit, 50)}
            if start:
                page_query["ExclusiveStartKey"] = start
            page = self.table.query(**page_query)
            rows = page.get("Items", [])
            for index, row in enumerate(rows):
                items.append(from_dynamo(row))
                if len(items) == limit:
                    more = index < len(rows) - 1 or "LastEvaluatedKey" in page
                    last = {k: row[k] for k in ("pk", "sk", "gsi1pk", "gsi1sk")}
                    return items, encode_cursor(last) if more else None
            start = page.get("LastEvaluatedKey")
            if not start:
                return items, None
        return items, encode_cursor(start) if start else None

    # -- create -------------------------------------------------------------------

    def job_options(self, request: OptionsIn) -> JobOptions:
        try:
            fields = request.model_dump(include=set(OptionsIn.model_fields))
            return JobOptions(**{**fields, "model": request.model or self.settings.default_model})
        except ValidationError as exc:  # the request model checks the same rules: a safety net
            raise ApiProblem(422, "validation-error", str(exc)) from exc

    def create(
        self, caller: ApiKey, request: TranscriptionRequest, idempotency_key: str | None
    ) -> tuple[dict[str, Any], bool]:
        """The job for this request, and whether it is a replay of an earlier one."""
        options = self.job_options(request)
        if request.webhook_url:
            self._check_url(request.webhook_url, self.webhook_policy, "body.webhook_url")
        if request.source.upload_id:
            return self._create_from_upload(caller, request, options)
        assert request.source.url is not None
        url = self._check_url(request.source.url, self.url_policy, "body.source.url")
        digest = fingerprint(request)
        job_id = idempotent_job_id(caller.tenant, idempotency_key) if idempotency_key else new_job_id()
        if idempotency_key and (replay := self._replay(job_id, digest)) is not None:
            return replay, True
        source = {"type": "url", "url": url}
        ckey = cache_key(caller.tenant, source_identity(url), options)
        original = self._cached(ckey, caller.tenant)
        extra = {"request_hash": digest, "cache_key": ckey}
        if original is not None and request.cache and self.settings.result_cache:
            create_from_result(
                self.store, job_id=job_id, tenant=caller.tenant, source=source, options=options, original=original,
                **extra,
            )  # fmt: skip
            self.hooks.metric("CacheHits", 1)
        else:
            self._check_limits(caller)
            created = launch_job(
                self.store, self.settings, job_id=job_id, tenant=caller.tenant, source=source, options=options, **extra
            )
            if created:
                self.hooks.metric("JobsCreated", 1)
                if original is None:
                    self.table.put_item(Item={**keys.cache(caller.tenant, ckey), "job_id": job_id})
        self.hooks.job(job_id)
        if idempotency_key and (replay := self._replay(job_id, digest)) is not None:
            return replay, False  # created now, or by a concurrent twin with the same body
        item = self.raw_job(job_id)
        assert item is not None
        return item, False

    def _replay(self, job_id: str, digest: str) -> dict[str, Any] | None:
        item = self.raw_job(job_id)
        if item is None:
            return None
        if item.get("request_hash") != digest:
            raise ApiProblem(
                422,
                "idempotency-key-mismatch",
                "This Idempotency-Key was already used with a different request body; use a new key.",
            )
        if item["status"] == JobStatus.PENDING.value:
            # The first attempt may have stopped between creating the job and starting it.
            job = Job.model_validate(item)
            start_execution(job.job_id, job.source, job.options, self.settings)
        return item

    def _cached(self, ckey: str, tenant: str) -> dict[str, Any] | None:
        pointer = self.table.get_item(Key=keys.cache(tenant, ckey)).get("Item")
        if not pointer:
            return None
        original = self.raw_job(str(pointer["job_id"]))
        if original and original["status"] == JobStatus.COMPLETED.value and original.get("result"):
            return original
        return None

    def _create_from_upload(
        self, caller: ApiKey, request: TranscriptionRequest, options: JobOptions
    ) -> tuple[dict[str, Any], bool]:
        upload_id = request.source.upload_id
        assert upload_id is not None
        upload = self.store.get_upload(upload_id)
        if upload is None or upload.get("tenant") != caller.tenant:
            raise not_found(f"upload {upload_id}")
        registered = JobOptions.model_validate({"model": self.settings.default_model, **upload.get("options", {})})
        conflicting = sorted(f for f in request.options_set() if getattr(options, f) != getattr(registered, f))
        if conflicting:
            raise ApiProblem(
                409,
                "upload-options-conflict",
                f"The upload was registered with other values for: {', '.join(conflicting)}. "
                "Leave the options out, or give the ones used when requesting the upload.",
            )
        found = self._upload_object(caller.tenant, upload_id)
        if found is None:
            raise ApiProblem(
                409, "upload-not-received", "The file has not been uploaded yet: POST it to the upload URL first."
            )
        key, etag = found
        job_id = upload_job_id(self.settings.bucket, key, etag)
        # The upload's own event starts this same job: whichever comes first creates it.
        if self.raw_job(job_id) is None:
            self._check_limits(caller)
            source = S3Source(bucket=self.settings.bucket, key=key)
            if launch_job(
                self.store, self.settings, job_id=job_id, tenant=caller.tenant, source=source, options=registered
            ):
                self.hooks.metric("JobsCreated", 1)
        self.hooks.job(job_id)
        item = self.raw_job(job_id)
        assert item is not None
        return item, False

    def _check_url(self, url: str, policy: UrlPolicy, path: str) -> str:
        try:
            return check_url(url, policy)
        except YtcError as exc:
            raise ApiProblem(
                422,
                "url-not-allowed",
                exc.reason,
                errors=[{"field": path, "message": exc.reason, "type": str(ErrorCode.URL_NOT_ALLOWED)}],
            ) from exc

    def _limit(self, caller: ApiKey, name: str) -> float:
        default: float = getattr(self.settings, f"tenant_{name}")
        return caller.limits.get(name, default)

    def _check_limits(self, caller: ApiKey) -> None:
        """Jobs in flight and audio transcribed in the last 24 h, from the tenant's index."""
        since = iso(utcnow() - timedelta(days=1))
        query: dict[str, Any] = {
            "IndexName": TABLE_GSI_TENANT,
            "KeyConditionExpression": "gsi1pk = :t AND gsi1sk >= :since",
            "ExpressionAttributeValues": {":t": keys.tenant_pk(caller.tenant), ":since": since},
            "ProjectionExpression": "#s, media, cache_hit",
            "ExpressionAttributeNames": {"#s": "status"},
        }
        in_flight, audio = 0, 0.0
        while True:
            page = self.table.query(**query)
            for item in page.get("Items", []):
                in_flight += item.get("status") in ACTIVE
                if not item.get("cache_hit"):
                    audio += float((item.get("media") or {}).get("duration") or 0)
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        max_jobs = int(self._limit(caller, "max_jobs_in_flight"))
        if in_flight >= max_jobs:
            self.hooks.metric("Throttled", 1)
            raise ApiProblem(
                429,
                "too-many-jobs-in-flight",
                f"You have {in_flight} transcriptions in progress; the limit is {max_jobs}. "
                "Wait for one to finish, or cancel one.",
                headers={"Retry-After": "30"},
            )
        max_audio = self._limit(caller, "max_audio_seconds_per_day")
        if audio >= max_audio:
            self.hooks.metric("Throttled", 1)
            raise ApiProblem(
                429,
                "audio-quota-exceeded",
                f"You have transcribed {audio / 60:.0f} minutes of audio in the last 24 hours; "
                f"the limit is {max_audio / 60:.0f} minutes.",
                headers={"Retry-After": "3600"},
            )

    # -- cancel -------------------------------------------------------------------

    def cancel(self, caller: ApiKey, job_id: str) -> dict[str, Any]:
        self.visible_job(caller, job_id)
        return self._cancel(job_id, "Cancelled at the client's request.")

    def _cancel(self, job_id: str, reason: str) -> dict[str, Any]:
        try:
            cancel_job(self.store, self.settings, job_id, reason)
        except InvalidTransition as exc:
            current = self.raw_job(job_id) or {}
            status = current.get("status", "")
            raise ApiProblem(
                409, "job-already-ended", f"The transcription is already {status}; it cannot be cancelled.",
                job_status=status or None,
            ) from exc  # fmt: skip
        self.hooks.metric("JobsCancelled", 1)
        item = self.raw_job(job_id)
        assert item is not None
        return item

    # -- operators (admin routes) -------------------------------------------------

    def require_admin(self, caller: ApiKey) -> ApiKey:
        admins = {tenant.strip() for tenant in self.settings.admin_tenants.split(",") if tenant.strip()}
        if caller.tenant not in admins:
            raise ApiProblem(403, "forbidden", "This route is for operators: it needs an API key of an admin tenant.")
        return caller

    def admin_job(self, job_id: str) -> dict[str, Any]:
        """Any tenant's job."""
        item = self.raw_job(job_id)
        if item is None:
            raise not_found(f"transcription {job_id}")
        self.hooks.job(job_id)
        return item

    def admin_list_jobs(
        self, status: str | None, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Jobs of every tenant (a table scan), newest first within the page."""
        start = decode_scan_cursor(cursor) if cursor else None
        jobs, last = operations.list_jobs(self.store, JobStatus(status) if status else None, limit, start)
        return [job.model_dump() for job in jobs], encode_cursor(last) if last else None

    def admin_cancel(self, caller: ApiKey, job_id: str) -> dict[str, Any]:
        self.admin_job(job_id)
        item = self._cancel(job_id, "Cancelled by an operator.")
        log.info("operator key %s (%s) cancelled %s", caller.key_id, caller.tenant, job_id)
        return item

    def admin_redrive(self, caller: ApiKey, job_id: str) -> tuple[dict[str, Any], str]:
        """Run a FAILED job again; returns the job and its new execution's name."""
        self.hooks.job(job_id)
        try:
            name = operations.redrive_job(self.store, self.settings, job_id)
        except KeyError as exc:
            raise not_found(f"transcription {job_id}") from exc
        except InvalidTransition as exc:
            status = (self.raw_job(job_id) or {}).get("status") or None
            if status == JobStatus.FAILED.value:
                raise ApiProblem(
                    409, "job-still-finishing", "The transcription's failed run is still finishing; try again shortly.",
                    headers={"Retry-After": "5"}, job_status=status,
                ) from exc  # fmt: skip
            raise ApiProblem(
                409, "job-not-failed", f"The transcription is {status}; only a FAILED one can be redriven.",
                job_status=status,
            ) from exc  # fmt: skip
        self.hooks.metric("JobsRedriven", 1)
        log.info("operator key %s (%s) redrove %s as %s", caller.key_id, caller.tenant, job_id, name)
        item = self.raw_job(job_id)
        assert item is not None
        return item, name

    def admin_redrive_dead_letters(self, caller: ApiKey) -> int:
        moved = operations.redrive_dead_letters(self.settings.dlq_name, self.settings.queue_name)
        log.info("operator key %s (%s) moved %d dead letter(s) back", caller.key_id, caller.tenant, moved)
        return moved

    def admin_stats(self) -> dict[str, Any]:
        return operations.stats(self.store, self.settings)

    # -- results ------------------------------------------------------------------

    def result(self, caller: ApiKey, job_id: str, fmt: str) -> tuple[bytes | None, str, str | None]:
        """(content, media type, None) or (None, media type, presigned URL) for large results."""
        item = self.visible_job(caller, job_id)
        if item["status"] != JobStatus.COMPLETED.value:
            raise ApiProblem(
                409,
                "job-not-completed",
                f"The transcription is {item['status']}; its result is ready once it is COMPLETED.",
                job_status=item["status"],
            )
        result = item.get("result") or {}
        bucket = result.get("bucket") or self.settings.bucket
        key = (result.get("keys") or {}).get(fmt)
        if not key:
            raise not_found(f"{fmt} result for {job_id}")
        s3 = aws.client("s3")
        obj = s3.get_object(Bucket=bucket, Key=key)
        if int(obj.get("ContentLength", 0)) > INLINE_RESULT_BYTES:
            obj["Body"].close()
            url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=900)
            return None, CONTENT_TYPES[fmt], str(url)
        return bytes(obj["Body"].read()), CONTENT_TYPES[fmt], None

    # -- uploads ------------------------------------------------------------------

    def create_upload(self, caller: ApiKey, request: UploadRequest, base: str) -> UploadTicket:
        max_bytes = int(self._limit(caller, "max_upload_bytes"))
        if request.size_bytes and request.size_bytes > max_bytes:
            raise ApiProblem(
                413,
                "upload-too-large",
                f"The file is {request.size_bytes} bytes; the limit is {max_bytes} bytes.",
                errors=[{"field": "body.size_bytes", "message": f"at most {max_bytes}", "type": "too_large"}],
            )
        options = self.job_options(request)
        if request.webhook_url:
            self._check_url(request.webhook_url, self.webhook_policy, "body.webhook_url")
        upload_id = new_upload_id()
        self.store.put_upload(upload_id, caller.tenant, options)
        key = upload_key(caller.tenant, upload_id, request.filename)
        fields: dict[str, str] = {}
        conditions: list[Any] = [["content-length-range", 1, max_bytes]]
        if request.content_type:
            fields["Content-Type"] = request.content_type
            conditions.append({"Content-Type": request.content_type})
        ttl = self.settings.upload_url_ttl_seconds
        post = aws.client("s3").generate_presigned_post(
            Bucket=self.settings.bucket, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=ttl
        )
        return UploadTicket(
            upload_id=upload_id,
            url=post["url"],
            fields={k: str(v) for k, v in post["fields"].items()},
            key=key,
            max_bytes=max_bytes,
            expires_at=iso(utcnow() + timedelta(seconds=ttl)),
            links={"self": f"{base}/v1/uploads/{upload_id}"},
        )

    def upload_status(self, caller: ApiKey, upload_id: str, base: str) -> UploadStatus:
        upload = self.store.get_upload(upload_id)
        if upload is None or upload.get("tenant") != caller.tenant:
            raise not_found(f"upload {upload_id}")
        links = {"self": f"{base}/v1/uploads/{upload_id}"}
        found = self._upload_object(caller.tenant, upload_id)
        if found is None:
            return UploadStatus(upload_id=upload_id, status="awaiting_file", links=links)
        key, etag = found
        job_id = upload_job_id(self.settings.bucket, key, etag)
        links["transcription"] = f"{base}/v1/transcriptions/{job_id}"
        return UploadStatus(
            upload_id=upload_id,
            status="received",
            filename=key.rsplit("/", 1)[-1],
            transcription_id=job_id,
            links=links,
        )

    def _upload_object(self, tenant: str, upload_id: str) -> tuple[str, str] | None:
        prefix = upload_key(tenant, upload_id, "x")[:-1]
        listing = aws.client("s3").list_objects_v2(Bucket=self.settings.bucket, Prefix=prefix, MaxKeys=1)
        contents = listing.get("Contents") or []
        if not contents:
            return None
        return str(contents[0]["Key"]), str(contents[0]["ETag"])

    # -- health -------------------------------------------------------------------

    def readiness(self) -> dict[str, str]:
        s = self.settings
        probes: dict[str, Callable[[], Any]] = {
            "dynamodb": lambda: aws.client("dynamodb").describe_table(TableName=s.table),
            "s3": lambda: aws.client("s3").head_bucket(Bucket=s.bucket),
            "sqs": lambda: aws.client("sqs").get_queue_url(QueueName=s.queue_name),
            "stepfunctions": lambda: aws.client("stepfunctions").describe_state_machine(
                stateMachineArn=state_machine_arn(s)
            ),
        }
        checks = {}
        for name, probe in probes.items():
            try:
                probe()
                checks[name] = "ok"
            except Exception as exc:
                checks[name] = f"error: {aws.error_code(exc) or type(exc).__name__}"
        return checks


# -- presentation -----------------------------------------------------------------


def _event(item: dict[str, Any]) -> JobEvent:
    """One history item: a status reached, a webhook attempt, or a redrive."""
    kind = item.get("kind", "status")
    if kind == "webhook":
        delivery = WebhookDelivery.model_validate(item)
        return JobEvent(kind="webhook", event_type=f"webhook.{delivery.outcome}", status=item["status"],
                        at=item["at"], webhook=delivery)  # fmt: skip
    return JobEvent(
        kind=kind, event_type=f"transcription.{item['status'].lower()}", status=item["status"], at=item["at"]
    )


def to_transcription(item: dict[str, Any], base: str = "") -> Transcription:
    job = Job.model_validate(item)
    source = job.source
    if source.get("type") == "url":
        source_out = SourceOut(type="url", url=source.get("url"))
    else:
        key = str(source.get("key", ""))
        source_out = SourceOut(type="upload", upload_id=upload_id_of_key(key), filename=key.rsplit("/", 1)[-1] or None)
    media = None
    if job.media or job.source_meta:
        facts = {**(job.source_meta or {}), **(job.media or {})}
        duration = facts.pop("duration", None)
        title = (job.source_meta or {}).get("title") or facts.get("title")
        facts.pop("title", None)
        media = MediaOut(title=title, duration=float(duration) if duration is not None else None, extra=facts)
    opts = job.options
    self_link = f"{base}/v1/transcriptions/{job.job_id}"
    results = None
    if job.status == JobStatus.COMPLETED:
        results = ResultLinks(**{fmt: f"{self_link}/result?format={fmt}" for fmt in RESULT_FORMATS})
    return Transcription(
        id=job.job_id,
        status=job.status.value,
        progress=max(0, min(100, int(job.progress))),
        created_at=job.created_at,
        updated_at=job.updated_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        eta_seconds=job.eta_seconds if not job.status.terminal else None,
        source=source_out,
        media=media,
        options=OptionsOut(
            **{**opts.model_dump(include=set(OptionsOut.model_fields)), "language": opts.language or "auto"}
        ),
        language=item.get("language"),
        error=ErrorOut(code=job.error_code, reason=job.error_reason or "") if job.error_code else None,
        cache_hit=bool(item.get("cache_hit")),
        cached_from=item.get("cached_from"),
        links=Links(self=self_link, events=f"{self_link}/events", result=results),
    )


def to_admin_transcription(item: dict[str, Any], base: str = "") -> AdminTranscription:
    """The transcription plus what operators need: its tenant and redrive count."""
    return AdminTranscription(
        **dict(to_transcription(item, base)), tenant=str(item["tenant"]), redrives=int(item.get("redrives") or 0)
    )


__all__ = ["ApiService", "Hooks", "to_admin_transcription", "to_transcription"]
