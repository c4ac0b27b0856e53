"""What the public API does, without HTTP: authenticate, create, read, list, cancel
jobs, hand out upload tickets, serve operators. The routes (ytcaption.api.routes) map
HTTP to these methods and present what they return (ytcaption.api.presenters); the
stores (ytcaption.store) do the reading and writing. Every refusal is an ApiProblem
with a stable code."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

from pydantic import ValidationError

from ytcaption import operations
from ytcaption.api.cursors import decode_cursor, decode_scan_cursor, encode_cursor
from ytcaption.api.invalid import field_errors, validation_problem
from ytcaption.api.payload import PROXIED_BODY_BYTES, proxied
from ytcaption.api.problems import ApiProblem
from ytcaption.api.rerender import rerender
from ytcaption.api.schemas import (
    Models,
    OptionsIn,
    TranscriptionRequest,
    UploadRequest,
    UploadStatus,
    UploadTicket,
)
from ytcaption.domain.captions.rules import SubtitleSettings
from ytcaption.domain.errors import ErrorCode, InvalidTransition, YtcError
from ytcaption.domain.ids import idempotent_job_id, new_job_id, new_upload_id, upload_job_id
from ytcaption.domain.job import Job, JobStatus, S3Source, iso, utcnow
from ytcaption.domain.listings import looks_like_listing
from ytcaption.domain.media_types import media_type_of
from ytcaption.domain.options import JobOptions
from ytcaption.domain.sites import source_identity
from ytcaption.intake.launch import create_from_result, launch_job, start_execution, state_machine_arn
from ytcaption.intake.urlpolicy import UrlPolicy, check_url, webhook_policy
from ytcaption.operations import cancel_job
from ytcaption.settings import Settings
from ytcaption.store.apikeys import ApiKey, ApiKeyStore
from ytcaption.store.audiolinks import AudioLinks
from ytcaption.store.cache import ResultCache, cache_key
from ytcaption.store.health import readiness
from ytcaption.store.jobs import JobStore
from ytcaption.store.media import CONTENT_TYPES, MediaStore, upload_key
from ytcaption.store.tickets import TicketStore

log = logging.getLogger(__name__)

# How long a link to a large result works.
RESULT_LINK_SECONDS = 900
# How long a link to a job's audio works (long enough to listen to a long recording): a ticket of
# ours (store/audiolinks.py), so it keeps that lifetime whatever the signing credentials' own.
AUDIO_LINK_SECONDS = 4 * 3600
# A presigned GET signed at request time (the keyed redirect, and each use of a ticket): short, well
# within what the Lambda's temporary credentials have left.
AUDIO_REDIRECT_SECONDS = 900


@dataclass
class Hooks:
    """What the hosting process wants to hear about (the Lambda: metrics, log keys)."""

    metric: Callable[[str, float], None] = field(default=lambda name, value: None)
    job: Callable[[str], None] = field(default=lambda job_id: None)


def fingerprint(request: TranscriptionRequest) -> str:
    # Requests without subtitle settings hash as before the setting existed.
    unset = {"subtitles"} if request.subtitles is None else None
    canonical = json.dumps(request.model_dump(mode="json", exclude=unset), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def not_found(what: str) -> ApiProblem:
    return ApiProblem(404, "not-found", f"There is no {what}.")


class ApiService:
    def __init__(self, settings: Settings, hooks: Hooks | None = None) -> None:
        self.settings = settings
        self.hooks = hooks or Hooks()
        self.store = JobStore(settings.table)
        self.cache = ResultCache(settings.table)
        self.media = MediaStore(settings.bucket)
        self.tickets = TicketStore(settings.table)
        self.keys = ApiKeyStore(settings.table, settings.api_key_pepper)
        self.url_policy = UrlPolicy.from_settings(settings.allowed_sites, settings.allow_loopback_urls)
        self.webhook_policy = webhook_policy(settings.allow_loopback_urls, settings.webhook_require_https)

    # -- auth ---------------------------------------------------------------------

    def authenticate(self, key: str | None) -> ApiKey:
        if not key:
            raise ApiProblem(401, "unauthorized", "Send your API key in the X-Api-Key header.")
        record = self.keys.lookup(key.strip())
        if record is None:
            raise ApiProblem(401, "unauthorized", "The API key is not valid.")
        return record

    # -- reads --------------------------------------------------------------------

    def job(self, job_id: str) -> Job:
        """A job known to exist (it was just created or read)."""
        job = self.store.get(job_id)
        assert job is not None
        return job

    def visible_job(self, caller: ApiKey, job_id: str) -> Job:
        """The caller's job; another tenant's job is answered exactly like a missing one."""
        job = self.store.get(job_id)
        if job is None or job.tenant != caller.tenant:
            raise not_found(f"transcription {job_id}")
        self.hooks.job(job_id)
        return job

    def events(self, caller: ApiKey, job_id: str) -> list[dict[str, Any]]:
        """The job's history items, in order."""
        self.visible_job(caller, job_id)
        return self.store.history(job_id)

    def list_jobs(
        self, caller: ApiKey, status: str | None, limit: int, cursor: str | None
    ) -> tuple[list[Job], str | None]:
        start = decode_cursor(cursor, caller.tenant) if cursor else None
        jobs, last = self.store.tenant_jobs(caller.tenant, JobStatus(status) if status else None, limit, start)
        return jobs, encode_cursor(last) if last else None

    # -- create -------------------------------------------------------------------

    def job_options(self, request: OptionsIn) -> JobOptions:
        try:
            fields = request.model_dump(include=set(OptionsIn.model_fields))
            options = JobOptions(**{**fields, "model": request.model or self.settings.default_model})
        except ValidationError as exc:  # the request model checks the same rules: a safety net
            raise validation_problem(field_errors(exc.errors(), ("body",))) from exc
        if not self.settings.serves(options.model):
            served = ", ".join(self.settings.served() or [])
            raise ApiProblem(
                422,
                "model-not-served",
                f"This deployment's workers serve {served}; model '{options.model}' is not one of them.",
                errors=[{"field": "body.model", "message": f"one of: {served}", "type": "model_not_served"}],
            )
        if options.speakers is not None and not self.settings.serves_speakers():
            raise ApiProblem(
                422,
                "speakers-not-served",
                "This deployment's workers do not carry the speaker engine; send the job without 'speakers'.",
                errors=[{"field": "body.speakers", "message": "not served here", "type": "speakers_not_served"}],
            )
        return options

    def models(self) -> Models:
        return Models(default=self.settings.default_model, served=self.settings.served())

    def create(self, caller: ApiKey, request: TranscriptionRequest, idempotency_key: str | None) -> tuple[Job, bool]:
        """The job for this request, and whether it is a replay of an earlier one."""
        options = self.job_options(request)
        if request.webhook_url:
            self._check_url(request.webhook_url, self.webhook_policy, "body.webhook_url")
        if request.source.upload_id:
            return self._create_from_upload(caller, request, options)
        assert request.source.url is not None
        if looks_like_listing(request.source.url):
            raise ApiProblem(
                422, "use-batches",
                "This URL lists many media (a playlist, channel or feed): POST it to /v1/batches to get one "
                "transcription per entry.", errors=[{"field": "body.source.url", "message": "a listing",
                                                     "type": "use_batches"}],
            )  # fmt: skip
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
                    self.cache.put(caller.tenant, ckey, job_id)
        self.hooks.job(job_id)
        if idempotency_key and (replay := self._replay(job_id, digest)) is not None:
            return replay, False  # created now, or by a concurrent twin with the same body
        return self.job(job_id), False

    def _replay(self, job_id: str, digest: str) -> Job | None:
        job = self.store.get(job_id)
        if job is None:
            return None
        if job.request_hash != digest:
            raise ApiProblem(
                422,
                "idempotency-key-mismatch",
                "This Idempotency-Key was already used with a different request body; use a new key.",
                errors=[
                    {
                        "field": "header.Idempotency-Key",
                        "message": "was already used with a different request body",
                        "type": "idempotency_key_mismatch",
                    }
                ],
            )
        if job.status == JobStatus.PENDING:
            # The first attempt may have stopped between creating the job and starting it.
            start_execution(job.job_id, job.source, job.options, self.settings)
        return job

    def _cached(self, ckey: str, tenant: str) -> Job | None:
        """The completed job whose result this request may share, if any."""
        job_id = self.cache.get(tenant, ckey)
        original = self.store.get(job_id) if job_id else None
        if original and original.status == JobStatus.COMPLETED and original.result:
            return original
        return None

    def _create_from_upload(
        self, caller: ApiKey, request: TranscriptionRequest, options: JobOptions
    ) -> tuple[Job, bool]:
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
        found = self.media.find_upload(caller.tenant, upload_id)
        if found is None:
            raise ApiProblem(
                409, "upload-not-received", "The file has not been uploaded yet: POST it to the upload URL first."
            )
        key, etag = found
        # The upload's own event starts this same job: whichever comes first claims the ticket and
        # creates it; a later file under the same ticket gets the first one's job.
        claim = self.tickets.claim(upload_id, upload_job_id(self.settings.bucket, key, etag), key, etag)
        job_id, key = claim.job_id, claim.key
        if self.store.get(job_id) is None:
            self._check_limits(caller)
            source = S3Source(bucket=self.settings.bucket, key=key, etag=claim.etag)
            if launch_job(
                self.store, self.settings, job_id=job_id, tenant=caller.tenant, source=source, options=registered
            ):
                self.hooks.metric("JobsCreated", 1)
        self.hooks.job(job_id)
        return self.job(job_id), False

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
        usage = self.store.tenant_usage(caller.tenant, since=iso(utcnow() - timedelta(days=1)))
        in_flight, audio = usage.jobs_in_flight, usage.audio_seconds
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

    def cancel(self, caller: ApiKey, job_id: str) -> Job:
        self.visible_job(caller, job_id)
        return self._cancel(job_id, "Cancelled at the client's request.")

    def _cancel(self, job_id: str, reason: str) -> Job:
        try:
            cancel_job(self.store, self.settings, job_id, reason)
        except InvalidTransition as exc:
            current = self.store.get(job_id)
            status = current.status.value if current else ""
            raise ApiProblem(
                409, "job-already-ended", f"The transcription is already {status}; it cannot be cancelled.",
                job_status=status or None,
            ) from exc  # fmt: skip
        self.hooks.metric("JobsCancelled", 1)
        return self.job(job_id)

    # -- operators (admin routes) -------------------------------------------------

    def require_admin(self, caller: ApiKey) -> ApiKey:
        admins = {tenant.strip() for tenant in self.settings.admin_tenants.split(",") if tenant.strip()}
        if caller.tenant not in admins:
            raise ApiProblem(403, "forbidden", "This route is for operators: it needs an API key of an admin tenant.")
        return caller

    def admin_job(self, job_id: str) -> Job:
        """Any tenant's job."""
        job = self.store.get(job_id)
        if job is None:
            raise not_found(f"transcription {job_id}")
        self.hooks.job(job_id)
        return job

    def admin_list_jobs(self, status: str | None, limit: int, cursor: str | None) -> tuple[list[Job], str | None]:
        """Jobs of every tenant (a table scan), newest first within the page."""
        start = decode_scan_cursor(cursor) if cursor else None
        jobs, last = operations.list_jobs(self.store, JobStatus(status) if status else None, limit, start)
        return jobs, encode_cursor(last) if last else None

    def admin_cancel(self, caller: ApiKey, job_id: str) -> Job:
        self.admin_job(job_id)
        job = self._cancel(job_id, "Cancelled by an operator.")
        log.info("operator key %s (%s) cancelled %s", caller.key_id, caller.tenant, job_id)
        return job

    def admin_redrive(self, caller: ApiKey, job_id: str) -> tuple[Job, str]:
        """Run a FAILED job again; returns the job and its new execution's name."""
        self.hooks.job(job_id)
        try:
            name = operations.redrive_job(self.store, self.settings, job_id)
        except KeyError as exc:
            raise not_found(f"transcription {job_id}") from exc
        except InvalidTransition as exc:
            current = self.store.get(job_id)
            status = current.status.value if current else None
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
        return self.job(job_id), name

    def admin_redrive_dead_letters(self, caller: ApiKey) -> int:
        moved = operations.redrive_dead_letters(self.settings.dlq_name, self.settings.queue_name)
        log.info("operator key %s (%s) moved %d dead letter(s) back", caller.key_id, caller.tenant, moved)
        return moved

    def admin_stats(self) -> dict[str, Any]:
        return operations.stats(self.store, self.settings)

    # -- results ------------------------------------------------------------------

    def rename_speakers(self, caller: ApiKey, job_id: str, names: dict[str, str]) -> Job:
        from ytcaption.api.renaming import rename_speakers

        return rename_speakers(self.store, self.media, self.visible_job(caller, job_id), names)

    def result(
        self, caller: ApiKey, job_id: str, fmt: str, subtitles: SubtitleSettings | None = None
    ) -> tuple[bytes | None, str, str | None]:
        """(content, media type, None), or (None, media type, presigned URL) for a result whose body
        would not stay well under Lambda's 6 MB once encoded (api/payload.py); SRT or VTT with other
        subtitle settings are rendered again from the stored transcript."""
        job = self.visible_job(caller, job_id)
        if job.status != JobStatus.COMPLETED:
            raise ApiProblem(
                409,
                "job-not-completed",
                f"The transcription is {job.status.value}; its result is ready once it is COMPLETED.",
                job_status=job.status.value,
            )
        result = job.result or {}
        bucket = result.get("bucket") or self.settings.bucket
        key = (result.get("keys") or {}).get(fmt)
        if not key:
            raise not_found(f"{fmt} result for {job_id}")
        media = self.media if bucket == self.media.bucket else MediaStore(bucket)
        media_type = CONTENT_TYPES[fmt]
        if subtitles is not None:
            rendered = rerender(media, job, fmt, subtitles)
            if proxied(rendered, media_type):
                return rendered, media_type, None
            # Too large for the Lambda's answer, and the API may not write results: the JSON (linked) renders anywhere.
            raise ApiProblem(
                413,
                "result-too-large",
                f"{fmt} of {job_id} with other settings is too large to render through the API: download the "
                "json (a job made with word_timestamps keeps the words in it) and run `ytcaption subtitles "
                "render transcript.json` with the same settings, or download it with the job's own settings.",
            )
        content, url = media.read_or_link(key, max_bytes=PROXIED_BODY_BYTES, expires_in=RESULT_LINK_SECONDS)
        if content is not None and not proxied(content, media_type):
            content, url = None, media.link(key, RESULT_LINK_SECONDS)
        return content, media_type, url

    def audio(self, caller: ApiKey, job_id: str, expires_in: int = AUDIO_REDIRECT_SECONDS) -> str:
        """A presigned GET of the audio the job was (or is being) transcribed from, signed now: short,
        for a client that follows it at once."""
        bucket, key = self._audio_object(caller, job_id)
        media = self.media if bucket == self.media.bucket else MediaStore(bucket)
        # Served as the media type of its name (an upload's stored type is the uploader's word).
        return media.link(key, expires_in, content_type=media_type_of(key))

    def audio_ticket(self, caller: ApiKey, job_id: str) -> tuple[str, int]:
        """A link to the job's audio that lasts AUDIO_LINK_SECONDS: (token, expiry in epoch seconds)."""
        bucket, key = self._audio_object(caller, job_id)
        return AudioLinks(self.settings.table).issue(job_id, caller.tenant, bucket, key, AUDIO_LINK_SECONDS)

    def redeem_audio_ticket(self, token: str) -> str:
        """A presigned GET, signed now, of the audio a ticket names (no key: the ticket is the authorization)."""
        found = AudioLinks(self.settings.table).redeem(token)
        if found is None:
            raise ApiProblem(404, "not-found", "There is no such audio link, or it has expired: ask for a new one.")
        media = self.media if found["bucket"] == self.media.bucket else MediaStore(found["bucket"])
        return media.link(found["key"], AUDIO_REDIRECT_SECONDS, content_type=media_type_of(found["key"]))

    def _audio_object(self, caller: ApiKey, job_id: str) -> tuple[str, str]:
        job = self.visible_job(caller, job_id)
        audio = job.audio or {}
        if not audio.get("key"):
            raise not_found(f"audio for transcription {job_id} (captions and cached results have none)")
        return str(audio.get("bucket") or self.settings.bucket), str(audio["key"])

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
        self.store.put_upload(upload_id, caller.tenant, options, max_bytes=max_bytes)
        key = upload_key(caller.tenant, upload_id, request.filename)
        ttl = self.settings.upload_url_ttl_seconds
        content_type = request.content_type or media_type_of(request.filename)
        url, fields = self.media.presigned_post(key, max_bytes, content_type, expires_in=ttl)
        return UploadTicket(
            upload_id=upload_id,
            url=url,
            fields=fields,
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
        found = self.media.find_upload(caller.tenant, upload_id)
        if found is None:
            return UploadStatus(upload_id=upload_id, status="awaiting_file", links=links)
        key, etag = found
        claim = self.tickets.claimed(upload_id)
        job_id = claim.job_id if claim else upload_job_id(self.settings.bucket, key, etag)
        links["transcription"] = f"{base}/v1/transcriptions/{job_id}"
        return UploadStatus(
            upload_id=upload_id,
            status="received",
            filename=key.rsplit("/", 1)[-1],
            transcription_id=job_id,
            ignored_files=len(self.tickets.refused(upload_id)),
            links=links,
        )

    # -- health -------------------------------------------------------------------

    def readiness(self) -> dict[str, str]:
        s = self.settings
        return readiness(s.table, s.bucket, s.queue_name, partial(state_machine_arn, s))


__all__ = ["ApiService", "Hooks"]
