"""Renaming speakers after the fact: every stored format re-rendered with the names,
nothing re-transcribed and nothing else changed.

The renamed results go to fresh keys under the job: a job answered from the result
cache shares its original's objects, and renaming one must not rename the other.
"""

from __future__ import annotations

import hashlib
import json

from ytcaption import resources
from ytcaption.api.invalid import field_problem
from ytcaption.api.problems import ApiProblem
from ytcaption.domain.formats import WORDS, render_all
from ytcaption.domain.job import Job, JobStatus
from ytcaption.domain.transcript import Transcript
from ytcaption.store.jobs import JobStore
from ytcaption.store.media import CONTENT_TYPES, MediaStore


def rename_speakers(store: JobStore, media: MediaStore, job: Job, names: dict[str, str]) -> Job:
    if job.status != JobStatus.COMPLETED:
        status = job.status.value
        raise ApiProblem(
            409, "job-not-completed", f"The transcription is {status}; speakers can be named once it is COMPLETED.",
            job_status=status,
        )  # fmt: skip
    result = dict(job.result or {})
    keys = dict(result.get("keys") or {})
    source = media if (result.get("bucket") or media.bucket) == media.bucket else MediaStore(result["bucket"])
    # The transcript with its words where the JSON shown leaves them out: subtitles are shaped from them.
    document = json.loads(source.get_text(keys.get(WORDS) or keys["json"]))
    document.pop("text", None)
    transcript = Transcript.model_validate(document)
    labels = {s.speaker for s in transcript.segments if s.speaker}
    if not labels:
        raise field_problem("body.speakers", "the transcript was made without 'speakers'; it has no labels to name")
    unknown = sorted(set(names) - labels)
    if unknown:
        raise field_problem(
            "body.speakers", f"has no such label: {', '.join(unknown)} (the transcript has {', '.join(sorted(labels))})"
        )
    merged = {**(transcript.speaker_names or {}), **{label: " ".join(n.split()) for label, n in names.items()}}
    merged = {label: name for label, name in merged.items() if name and name != label}
    named = transcript.model_copy(update={"speaker_names": merged or None})
    digest = hashlib.sha256(json.dumps(merged, sort_keys=True).encode()).hexdigest()[:12]
    new_keys = {}
    # The job's subtitle settings and words shown as at first; the words file (for downloads with other
    # settings) is rendered again too, so those downloads keep the names.
    for fmt, text in render_all(named, job.options).items():
        new_keys[fmt] = f"{resources.RESULTS_PREFIX}{job.job_id}/named-{digest}/transcript.{fmt}"
        media.put_text(new_keys[fmt], text, CONTENT_TYPES[fmt])
    updated = {**result, "bucket": media.bucket, "keys": new_keys}
    if not store.update(job.job_id, JobStatus.COMPLETED, result=updated):
        raise ApiProblem(409, "job-not-completed", "The transcription changed meanwhile; try again.")
    fresh = store.get(job.job_id)
    assert fresh is not None
    return fresh
