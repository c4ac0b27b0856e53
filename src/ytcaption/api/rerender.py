"""Subtitles with other settings, on download: rendered again from the job's stored transcript
(with its words), never transcribed again; no worker is involved."""

from __future__ import annotations

from ytcaption.api.invalid import field_problem
from ytcaption.api.problems import ApiProblem
from ytcaption.domain.captions.rules import SubtitleSettings
from ytcaption.domain.formats import WORDS, render
from ytcaption.domain.job import Job
from ytcaption.domain.transcript import Transcript
from ytcaption.store.media import MediaStore

SUBTITLE_FORMATS = ("srt", "vtt")


def rerender(media: MediaStore, job: Job, fmt: str, settings: SubtitleSettings) -> bytes:
    """The job's `fmt` with `settings` over the job's own subtitle settings."""
    if fmt not in SUBTITLE_FORMATS:
        raise field_problem("query.format", f"must be srt or vtt with subtitle settings, not {fmt}")
    keys = (job.result or {}).get("keys") or {}
    key = keys.get(WORDS) or keys.get("json")
    if not key:
        raise ApiProblem(404, "not-found", f"The stored transcript of {job.job_id} was not found.")
    transcript = Transcript.model_validate_json(media.get_text(key))
    chosen = (job.options.subtitles or SubtitleSettings()).merged(settings)
    return render(transcript, fmt, chosen).encode("utf-8")
