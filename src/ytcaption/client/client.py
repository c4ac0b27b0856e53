"""The Client: every tenant operation of the public HTTP API, typed with the API's own models."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from ytcaption.api.batch_schemas import Batch, BatchPage, BatchRequest
from ytcaption.api.schemas import (
    JobEvents,
    Models,
    OptionsIn,
    Transcription,
    TranscriptionPage,
    TranscriptionRequest,
    UploadRequest,
    UploadStatus,
    UploadTicket,
)
from ytcaption.client import live, uploads
from ytcaption.client.errors import BatchWaitTimeout, ClientError, NotFound, WaitTimeout, error_for
from ytcaption.client.retries import RetryPolicy, send

log = logging.getLogger("ytcaption.client")

Options = OptionsIn | Mapping[str, Any] | None
OnUpdate = Callable[[Transcription], None]

TERMINAL = live.TERMINAL


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ytcaption")
    except PackageNotFoundError:
        return "unknown"


def _options(options: Options) -> dict[str, Any]:
    """Only the options given: the API's defaults (and its cache key) apply to the others."""
    if options is None:
        return {}
    parsed = options if isinstance(options, OptionsIn) else OptionsIn.model_validate(dict(options))
    return parsed.model_dump(mode="json", exclude_unset=True)


class Client:
    """A tenant's client of the YTCaption API.

    `api_url` is the API's address (a deployed stage's URL, or `http://127.0.0.1:8000` for
    `ytcaption local up`); `api_key` the tenant's key (`ytc_...`). `live_url` is the live-updates
    WebSocket (the stack output `LiveUrl` in AWS; by default the API's own `/v1/live`, as the local
    runtime serves it). Errors are raised as `ytcaption.client.errors` classes; 429 and 503 are
    retried per `retry`, honouring `Retry-After`.
    """

    def __init__(
        self,
        api_url: str,
        api_key: str,
        *,
        live_url: str | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.live_url = live_url or live.live_url_for(self.api_url)
        self._key = api_key
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        headers = {"X-Api-Key": api_key, "User-Agent": f"ytcaption-client/{_version()}"}
        self._http = httpx.Client(base_url=self.api_url, headers=headers, timeout=timeout, transport=transport)
        # Presigned storage URLs: no API key goes there.
        self._storage = httpx.Client(timeout=timeout, transport=transport, follow_redirects=True)

    def __repr__(self) -> str:
        return f"Client({self.api_url!r})"

    def close(self) -> None:
        """Close its connections (`with Client(...) as api:` does it)."""
        self._http.close()
        self._storage.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # -- requests -------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        request = self._http.build_request(method, path, **kwargs)
        response = send(self._http, request, self._retry, self._sleep)
        if response.is_error:
            response.read()
            raise error_for(response)
        return response

    # -- creating ---------------------------------------------------------------------------

    def create_from_url(
        self, url: str, options: Options = None, *, cache: bool = True, idempotency_key: str | None = None
    ) -> Transcription:
        """Request a transcription of a video page or media URL (POST /v1/transcriptions).

        Sent with an Idempotency-Key (a new one unless given), so a retried request never makes a
        second job."""
        body = TranscriptionRequest.model_validate({"source": {"url": url}, "cache": cache, **_options(options)})
        return self._create(body, idempotency_key)

    def create_from_upload(
        self, upload_id: str, options: Options = None, *, cache: bool = True, idempotency_key: str | None = None
    ) -> Transcription:
        """Request a transcription of an upload that already arrived (its upload_id)."""
        body = TranscriptionRequest.model_validate(
            {"source": {"upload_id": upload_id}, "cache": cache, **_options(options)}
        )
        return self._create(body, idempotency_key)

    def _create(self, body: TranscriptionRequest, idempotency_key: str | None) -> Transcription:
        payload = body.model_dump(mode="json", exclude_unset=True)
        payload["source"] = body.source.model_dump(mode="json", exclude_none=True)
        headers = {"Idempotency-Key": idempotency_key or uuid.uuid4().hex}
        answer = self._request("POST", "/v1/transcriptions", json=payload, headers=headers)
        return Transcription.model_validate(answer.json())

    def create_from_file(
        self,
        path: str | Path,
        options: Options = None,
        *,
        content_type: str | None = None,
        on_progress: uploads.Progress | None = None,
        arrival_timeout: float = 300.0,
    ) -> Transcription:
        """Upload a file and return the transcription it started.

        POST /v1/uploads for a ticket, the file to its presigned POST (streamed; `on_progress(sent,
        total)` as it goes), then GET /v1/uploads/{id} until the upload has arrived and started its
        transcription."""
        file = Path(path)
        kind = content_type or uploads.content_type(file)
        request = UploadRequest.model_validate(
            {"filename": file.name, "size_bytes": file.stat().st_size, "content_type": kind, **_options(options)}
        )
        ticket = self.upload_ticket(request)
        self.send_file(ticket, file, kind, on_progress)
        return self.wait_for_upload(ticket.upload_id, arrival_timeout)

    def upload_ticket(self, request: UploadRequest) -> UploadTicket:
        """POST /v1/uploads: a presigned POST for one file."""
        body = request.model_dump(mode="json", exclude_unset=True, exclude_none=True)
        return UploadTicket.model_validate(self._request("POST", "/v1/uploads", json=body).json())

    def send_file(
        self, ticket: UploadTicket, path: Path, kind: str | None, on_progress: uploads.Progress | None = None
    ) -> None:
        """The file to the ticket's presigned POST (storage, not the API: no key)."""
        parts = uploads.multipart(path, ticket.fields, kind, on_progress)
        try:
            request = self._storage.build_request("POST", ticket.url, **parts)
            answer = send(self._storage, request, self._retry, self._sleep)
            if answer.is_error:
                answer.read()
                raise error_for(answer)
        finally:
            parts["files"]["file"][1].close()

    def upload_status(self, upload_id: str) -> UploadStatus:
        """GET /v1/uploads/{id}: whether the file has arrived, and the transcription it started."""
        return UploadStatus.model_validate(self._request("GET", f"/v1/uploads/{upload_id}").json())

    def wait_for_upload(self, upload_id: str, timeout: float = 300.0) -> Transcription:
        """The transcription the upload started, once the file has arrived and the job exists (the
        upload's status names the job as soon as the file is stored; the job follows from its event)."""
        deadline = time.monotonic() + timeout
        pause = 0.2
        while True:
            status = self.upload_status(upload_id)
            if status.status == "received" and status.transcription_id:
                try:
                    return self.get(status.transcription_id)
                except NotFound:
                    pass
            if time.monotonic() + pause > deadline:
                raise ClientError(f"upload {upload_id} started no transcription within {timeout:g} s")
            self._sleep(pause)
            pause = min(pause * 1.5, 2.0)

    # -- reading ----------------------------------------------------------------------------

    def get(self, job_id: str) -> Transcription:
        """GET /v1/transcriptions/{id}."""
        return Transcription.model_validate(self._request("GET", f"/v1/transcriptions/{job_id}").json())

    def list(self, *, status: str | None = None, limit: int = 20, cursor: str | None = None) -> TranscriptionPage:
        """One page of the tenant's transcriptions, newest first; pass `next_cursor` for the next."""
        params: dict[str, Any] = {"limit": limit}
        if status:
            params["status"] = status
        if cursor:
            params["cursor"] = cursor
        return TranscriptionPage.model_validate(self._request("GET", "/v1/transcriptions", params=params).json())

    def iter_all(self, *, status: str | None = None, page_size: int = 100) -> Iterator[Transcription]:
        """Every transcription of the tenant, newest first, page after page."""
        cursor: str | None = None
        while True:
            page = self.list(status=status, limit=page_size, cursor=cursor)
            yield from page.items
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def events(self, job_id: str) -> JobEvents:
        """The statuses the transcription went through, webhook and email attempts."""
        return JobEvents.model_validate(self._request("GET", f"/v1/transcriptions/{job_id}/events").json())

    def result(self, job_id: str, format: str = "json", **params: Any) -> str:
        """The transcript in one format (json, txt, srt, vtt, ...). Other keyword arguments go to the
        query as they are (e.g. the subtitle settings of the result endpoint). A large result's
        redirect (303 to a presigned URL) is followed without the key."""
        query = {"format": format, **{k: v for k, v in params.items() if v is not None}}
        answer = self._request("GET", f"/v1/transcriptions/{job_id}/result", params=query)
        if answer.status_code in (301, 302, 303, 307, 308) and "location" in answer.headers:
            request = self._storage.build_request("GET", answer.headers["location"])
            answer = send(self._storage, request, self._retry, self._sleep)
            if answer.is_error:
                answer.read()
                raise error_for(answer)
        return answer.text

    def models(self) -> Models:
        """The deployment's default model and the models its workers serve."""
        return Models.model_validate(self._request("GET", "/v1/models").json())

    # -- changing ---------------------------------------------------------------------------

    def cancel(self, job_id: str) -> Transcription:
        """DELETE /v1/transcriptions/{id}: it becomes CANCELLED (409 Conflict when it already ended)."""
        return Transcription.model_validate(self._request("DELETE", f"/v1/transcriptions/{job_id}").json())

    # -- batches ----------------------------------------------------------------------------

    def create_batch(
        self, url: str, options: Options = None, *, idempotency_key: str | None = None, **fields: Any
    ) -> Batch:
        """Transcribe every entry of a playlist, channel or feed (POST /v1/batches); `fields` are the
        batch's own (max_items, newest_first, published_after, published_before, cache)."""
        body = BatchRequest.model_validate({"url": url, **_options(options), **fields})
        headers = {"Idempotency-Key": idempotency_key or uuid.uuid4().hex}
        payload = body.model_dump(mode="json", exclude_unset=True)
        return Batch.model_validate(self._request("POST", "/v1/batches", json=payload, headers=headers).json())

    def batch(self, batch_id: str) -> Batch:
        """GET /v1/batches/{id}: each entry with its transcription's status, counts, progress."""
        return Batch.model_validate(self._request("GET", f"/v1/batches/{batch_id}").json())

    def batches(self, *, limit: int = 20, cursor: str | None = None) -> BatchPage:
        """One page of the tenant's batches, newest first (without their entries)."""
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        return BatchPage.model_validate(self._request("GET", "/v1/batches", params=params).json())

    def cancel_batch(self, batch_id: str) -> Batch:
        """DELETE /v1/batches/{id}: the batch and its unfinished transcriptions end CANCELLED."""
        return Batch.model_validate(self._request("DELETE", f"/v1/batches/{batch_id}").json())

    def wait_batch(
        self,
        batch_id: str,
        *,
        timeout: float | None = None,
        on_update: Callable[[Batch], None] | None = None,
        poll_interval: float = 1.0,
    ) -> Batch:
        """The batch once it ended (COMPLETED, FAILED or CANCELLED), polled; `on_update` gets each
        reading. Raises BatchWaitTimeout, with how it stood, after `timeout` seconds."""
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        while True:
            batch = self.batch(batch_id)
            if on_update is not None:
                on_update(batch)
            if batch.status in TERMINAL:
                return batch
            if time.monotonic() + poll_interval > deadline:
                raise BatchWaitTimeout(batch, timeout or 0)
            self._sleep(poll_interval)

    # -- waiting ----------------------------------------------------------------------------

    def wait(
        self,
        job_id: str,
        *,
        timeout: float | None = None,
        on_update: OnUpdate | None = None,
        use_live: bool = True,
        poll_interval: float = 1.0,
    ) -> Transcription:
        """The transcription once it is COMPLETED, FAILED or CANCELLED (it is returned, not raised).

        Follows the live WebSocket when it can be reached (each event re-reads the job), polls GET
        otherwise; `on_update` gets each new state. Raises WaitTimeout after `timeout` seconds."""
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        seen: tuple[str, int] | None = None

        def refresh() -> Transcription:
            nonlocal seen
            job = self.get(job_id)
            if on_update is not None and (job.status, job.progress) != seen:
                on_update(job)
            seen = (job.status, job.progress)
            return job

        job = refresh()
        if job.status in TERMINAL:
            return job
        if use_live:
            try:
                ended = live.wait(self.live_url, self._key, job_id, refresh, deadline)
            except live.LiveUnavailable as exc:
                log.debug("live updates unavailable (%s); polling", exc)
            else:
                if ended is not None:
                    return ended
                raise WaitTimeout(self.get(job_id), timeout or 0)
        pause = poll_interval
        while True:
            if time.monotonic() + pause > deadline:
                raise WaitTimeout(job, timeout or 0)
            self._sleep(pause)
            job = refresh()
            if job.status in TERMINAL:
                return job
            pause = min(pause * 1.25, 5.0)
