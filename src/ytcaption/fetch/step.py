"""The FetchAudio step: make the job's audio ready for a worker.

An upload is checked and probed where it lies; a URL is checked against the
URL policy and the circuit breaker, its metadata read and limits enforced
before any media byte is fetched, then downloaded with yt-dlp into S3 — or,
when the video's own captions are wanted or the download is blocked, those
captions become the transcript and Whisper is skipped.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ytcaption.domain.chunks import Chunk, plan_chunks
from ytcaption.domain.errors import ErrorCode, InvalidTransition, YtcError
from ytcaption.domain.formats import render_all
from ytcaption.domain.job import Job, JobStatus, S3Source, UrlSource
from ytcaption.domain.sites import site_of
from ytcaption.domain.steps import AudioRef, FetchResult
from ytcaption.fetch import captions
from ytcaption.fetch.download import Blocked, Downloader, config_from, describe, limits_problem, pick_captions
from ytcaption.fetch.probe import MediaInfo, probe
from ytcaption.fetch.silence import find_silences
from ytcaption.intake.urlpolicy import UrlPolicy, check_url
from ytcaption.settings import Settings
from ytcaption.store.breaker import CircuitBreaker, CircuitOpen
from ytcaption.store.jobs import JobStore
from ytcaption.store.media import MediaStore, audio_key


def _begin(job_id: str, store: JobStore) -> Job:
    job = store.get(job_id)
    if job is None:
        raise YtcError(ErrorCode.INTERNAL_ERROR, f"Job {job_id} does not exist.")
    if job.status == JobStatus.PENDING:
        store.transition(job_id, JobStatus.DOWNLOADING)
    elif job.status != JobStatus.DOWNLOADING:  # a retry finds DOWNLOADING: go on
        raise InvalidTransition(f"job {job_id} is {job.status}; it cannot fetch audio")
    return job


def plan(path: Path, duration: float, settings: Settings) -> list[Chunk]:
    """The chunks of a long file (cut at silences), or none for a short one."""
    if duration <= settings.chunk_threshold_seconds:
        return []
    s = settings
    return plan_chunks(
        duration, find_silences(path, s.chunk_min_silence_seconds), target=s.chunk_target_seconds,
        search=s.chunk_search_seconds, overlap=s.chunk_overlap_seconds, min_silence=s.chunk_min_silence_seconds,
        timeout_floor=s.timeout_floor_seconds, timeout_per_second=s.timeout_per_audio_second,
        queue_wait=s.queue_wait_limit_seconds,
    )  # fmt: skip


def _ready(
    job_id: str, audio: AudioRef, info: MediaInfo, path: Path, settings: Settings, store: JobStore
) -> FetchResult:
    if info.duration > settings.max_media_seconds:
        raise YtcError(
            ErrorCode.MEDIA_TOO_LONG,
            f"The audio is {info.duration / 60:.0f} minutes long; "
            f"the limit is {settings.max_media_seconds / 60:.0f} minutes.",
        )
    timeout = settings.transcription_timeout(info.duration)
    chunks = plan(path, info.duration, settings)
    # The time limit starts when a worker takes the job (it sets deadline_at): waiting in the queue is free.
    store.transition(
        job_id, JobStatus.QUEUED, media=info.as_dict(), audio=audio.model_dump(),
        plan=[c.model_dump() for c in chunks] or None,
    )  # fmt: skip
    return FetchResult(
        captions=False, audio=audio, media=info.as_dict(), timeout_seconds=timeout, chunked=bool(chunks), chunks=chunks
    )


def fetch_s3_audio(job_id: str, source: S3Source, settings: Settings, store: JobStore) -> FetchResult:
    _begin(job_id, store)
    media = MediaStore(source.bucket)
    found = media.head(source.key)
    if found is None:
        raise YtcError(ErrorCode.SOURCE_NOT_FOUND, f"The uploaded file {source.key} was not found.")
    if source.etag and str(found.get("ETag", "")).strip('"') != source.etag.strip('"'):
        # A second file was posted under the same ticket: it starts no job, and this job is not its.
        raise YtcError(
            ErrorCode.SOURCE_NOT_FOUND,
            "The uploaded file was replaced by a later upload under the same ticket; request a new upload.",
        )
    with tempfile.TemporaryDirectory(prefix="ytc-fetch-") as tmp:
        local = Path(tmp) / "media"
        media.download(source.key, local)
        info = probe(local)
        return _ready(job_id, AudioRef(bucket=source.bucket, key=source.key), info, local, settings, store)


def fetch_url_audio(job_id: str, source: UrlSource, settings: Settings, store: JobStore) -> FetchResult:
    job = _begin(job_id, store)
    url = source.url
    policy = UrlPolicy.from_settings(settings.allowed_sites, settings.allow_loopback_urls)
    check_url(url, policy)
    site = site_of(url)
    breaker = CircuitBreaker(
        settings.table, settings.breaker_threshold, settings.breaker_window_seconds, settings.breaker_reset_seconds
    )
    try:
        breaker.before_download(site)
    except CircuitOpen as exc:
        retry = datetime.fromtimestamp(exc.status.retry_at or 0, UTC).strftime("%H:%M UTC")
        raise YtcError(
            ErrorCode.SOURCE_UNAVAILABLE,
            f"Downloads from {site} are paused after repeated refusals (bot checks or HTTP 403/429). "
            f"Try again after {retry}, or upload the file instead.",
        ) from exc
    with tempfile.TemporaryDirectory(prefix="ytc-download-") as tmp:
        workdir = Path(tmp)
        downloader = Downloader(config_from(settings, workdir), policy, workdir)
        try:
            return _download(job, url, site, downloader, breaker, settings, store)
        finally:
            downloader.close()


def _download(
    job: Job,
    url: str,
    site: str,
    downloader: Downloader,
    breaker: CircuitBreaker,
    settings: Settings,
    store: JobStore,
) -> FetchResult:
    try:
        # Limits are checked on the page's metadata first, so an over-long video
        # is refused before a byte of its media is fetched.
        info = downloader.metadata(url)
        _check_limits(info, settings)
        info = downloader.resolve(info)
        _check_limits(info, settings)
    except Blocked as exc:
        breaker.record_blocked(site)
        raise _blocked(site) from exc
    store.update(job.job_id, JobStatus.DOWNLOADING, source_meta=describe(info))
    track = pick_captions(info, job.options.language)
    # A job with speakers needs the audio (captions carry no voices): it never finishes from captions.
    passed_over = bool(track) and job.options.speakers is not None
    track = None if passed_over else track
    if job.options.prefer_captions and track:
        done = _from_captions(job, track, info, downloader, settings, store)
        if done:
            return done
    try:
        path = downloader.download(info)
    except Blocked as exc:
        breaker.record_blocked(site)
        done = _from_captions(job, track, info, downloader, settings, store) if track else None
        if done:
            return done
        raise _blocked(site, passed_over) from exc
    breaker.record_success(site)
    media = probe(path)
    key = audio_key(job.job_id, path.suffix)
    MediaStore(settings.bucket).upload_large(path, key)
    return _ready(job.job_id, AudioRef(bucket=settings.bucket, key=key), media, path, settings, store)


def _check_limits(info: dict[str, Any], settings: Settings) -> None:
    problem = limits_problem(info, settings.max_media_seconds, settings.max_download_bytes)
    if problem:
        raise problem


def _blocked(site: str, captions_passed_over: bool = False) -> YtcError:
    reason = f"{site} refused the download (a bot check or HTTP 403/429). Try again later, or upload the file instead."
    if captions_passed_over:
        reason += " The video's own captions were not used: they cannot say who spoke (send it without 'speakers')."
    return YtcError(ErrorCode.SOURCE_BLOCKED, reason)


def _from_captions(
    job: Job,
    track: tuple[str, str, str],
    info: dict[str, Any],
    downloader: Downloader,
    settings: Settings,
    store: JobStore,
) -> FetchResult | None:
    """Finish the job from the video's own subtitles; None if they turn out empty."""
    language, fmt, url = track
    transcript = captions.to_transcript(captions.parse(downloader.fetch_text(url), fmt), language, info.get("duration"))
    if not transcript.segments:
        return None
    keys = MediaStore(settings.bucket).write_results(job.job_id, render_all(transcript, job.options))
    metrics = {"audio_seconds": transcript.duration, "processing_seconds": 0.0, "origin": "captions"}
    result = {"bucket": settings.bucket, "keys": keys, "metrics": metrics, "origin": "captions"}
    store.update(job.job_id, JobStatus.DOWNLOADING, progress=100, result=result, language=language)
    return FetchResult(
        captions=True,
        media={"duration": transcript.duration},
        timeout_seconds=settings.transcription_timeout(transcript.duration),
    )
