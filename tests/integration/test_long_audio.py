"""Long audio through the chunked path: planned at silences, fanned out to two workers, merged."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.audio import long_recording as make_long_recording
from tests.support.audio import normalise, word_error_rate
from tests.support.pipeline import (
    BusObserver,
    all_chunks_done_but_the_last,
    history_statuses,
    read_result,
    submit,
    wait_execution,
    wait_job,
    wait_status,
)
from tests.support.subtitles import assert_readable
from ytcaption import resources
from ytcaption.domain.captions.rules import rules_for
from ytcaption.domain.job import JobStatus
from ytcaption.domain.transcript import Transcript
from ytcaption.store.jobs import JobStore

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def long_recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return make_long_recording(tmp_path_factory.mktemp("long"), 630)


def test_long_audio_is_chunked_at_silences_over_two_workers_and_merged(
    runtime: Any, long_recording: tuple[Path, str]
) -> None:
    path, text = long_recording
    with runtime.worker(), runtime.worker(), BusObserver("ytcaption-test-long-audio") as bus:
        started = time.monotonic()
        job_id = submit(path, word_timestamps=True)
        job = wait_job(job_id, timeout=900)
        chunked_seconds = time.monotonic() - started
        details = bus.details(job_id, until=lambda ds: any(d["event_type"] == "transcription.completed" for d in ds))
    assert job.status == JobStatus.COMPLETED, job.error_reason
    # The job's own tenths are announced, with an ETA, whichever worker's chunk crossed them (two workers
    # crossing the same tenth send the same event id).
    progress = {d["event_id"]: d["data"] for d in details if d["event_type"] == "transcription.progress"}
    tenths = sorted(data["progress"] for data in progress.values())
    assert len(tenths) >= 5 and len(set(tenths)) == len(tenths), tenths
    assert all(p % 10 == 0 and 10 <= p <= 90 for p in tenths), tenths
    assert all(isinstance(data["eta_seconds"], int | float) and data["eta_seconds"] >= 0 for data in progress.values())
    assert wait_execution(job_id)["status"] == "SUCCEEDED"
    assert history_statuses(job_id) == ["PENDING", "DOWNLOADING", "QUEUED", "TRANSCRIBING", "COMPLETED"]
    assert job.media and job.media["duration"] >= 600
    plan = job.plan or []
    assert len(plan) >= 4, plan
    # Every cut fell in a pause (the recording has one every passage): no overlap was needed.
    assert all(c["start"] == c["cut_start"] and c["end"] == c["cut_end"] for c in plan), plan
    assert [c["cut_start"] for c in plan[1:]] == [c["cut_end"] for c in plan[:-1]]

    # Both workers took chunks, and every chunk was claimed.
    store = JobStore(resources.TABLE)
    claims = [c for c in store.claims(job_id) if "chunk" in c]
    assert {c["chunk"] for c in claims} == set(range(len(plan)))
    assert len({c["worker"] for c in claims}) == 2, claims

    document = json.loads(read_result(job, "json"))
    segments = document["segments"]
    assert [s["id"] for s in segments] == list(range(len(segments)))
    starts = [s["start"] for s in segments]
    assert starts == sorted(starts)
    assert all(a["end"] <= b["start"] + 0.05 for a, b in itertools.pairwise(segments))
    assert all(s["words"] for s in segments)
    assert segments[-1]["end"] <= job.media["duration"] + 0.5

    # Nothing lost or doubled at a cut: every passage begins after a pause with "Part <n>" and the merged
    # transcript hears each passage start once; no word straddles a cut (compared with the whole file's
    # transcription around each cut below).
    def markers(words: list[str]) -> list[str]:
        return [words[i + 1] for i, word in enumerate(words[:-1]) if word == "part"]

    merged_markers = markers(normalise(document["text"]))
    passages = text.count("Part ")
    assert len(merged_markers) == passages, merged_markers
    for cut in [c["cut_end"] for c in plan[:-1]]:
        before = [w for s in segments for w in s["words"] if w["end"] <= cut]
        after = [w for s in segments for w in s["words"] if w["start"] >= cut]
        assert len(before) + len(after) == sum(len(s["words"]) for s in segments), cut
    merged_wer = word_error_rate(text, document["text"])

    # Subtitles of the merged words: every rule, every word once, across every cut.
    transcript = Transcript.model_validate_json(read_result(job, "json"))
    for fmt in ("srt", "vtt"):
        assert_readable(read_result(job, fmt), transcript, rules_for(transcript.language), f"long audio .{fmt}")

    from ytcaption.settings import get_settings
    from ytcaption.worker.transcribe import ModelCache, transcribe

    whole_started = time.monotonic()
    settings = get_settings()
    whole = transcribe(ModelCache(Path(settings.model_cache_dir), 1), path, job.options)
    whole_seconds = time.monotonic() - whole_started
    whole_wer = word_error_rate(text, whole.text)
    print(
        f"\nlong audio {job.media['duration']:.0f} s, {len(plan)} chunks: chunked on 2 workers "
        f"{chunked_seconds:.1f} s WER {merged_wer:.4f}; whole in-process {whole_seconds:.1f} s WER {whole_wer:.4f}"
    )
    assert len(markers(normalise(whole.text))) == len(merged_markers)
    whole_words = [w for s in whole.segments for w in s.words or []]
    for cut in [c["cut_end"] for c in plan[:-1]]:
        # The words within 6 s of the cut: the same as when the file is transcribed whole.
        near = [w["word"] for s in segments for w in s["words"] if abs((w["start"] + w["end"]) / 2 - cut) < 6]
        near_whole = [w.word for w in whole_words if abs((w.start + w.end) / 2 - cut) < 6]
        assert near and abs(len(near) - len(near_whole)) <= 1, (cut, near, near_whole)
        assert word_error_rate(" ".join(near_whole), " ".join(near)) <= 0.2, (cut, near, near_whole)
    assert merged_wer <= whole_wer + 0.01 + 1e-9, (merged_wer, whole_wer)


def test_chunks_with_a_result_are_not_transcribed_again(runtime: Any, long_recording: tuple[Path, str]) -> None:
    """Resume: a chunk whose transcript is already in S3 (a redrive, a lost worker) is answered from it."""
    path, _ = long_recording
    store = JobStore(resources.TABLE)
    job_id = submit(path, word_timestamps=True)
    # Every chunk but the last already has its transcript (as a failed attempt would have left them).
    plan = all_chunks_done_but_the_last(job_id)
    with runtime.worker():
        job = wait_job(job_id, timeout=300)
    assert job.status == JobStatus.COMPLETED, job.error_reason
    claims = [c for c in store.claims(job_id) if "chunk" in c]
    assert [c["chunk"] for c in claims] == [plan[-1]["index"]]
    document = json.loads(read_result(job, "json"))
    # Only the last chunk's words: the others came from their (empty) stored results.
    assert document["segments"] and all(s["start"] >= plan[-1]["cut_start"] for s in document["segments"])


def test_cancelling_a_chunked_job_stops_every_chunk(runtime: Any, long_recording: tuple[Path, str]) -> None:
    from ytcaption.operations import cancel_job
    from ytcaption.settings import get_settings
    from ytcaption.store import aws

    path, _ = long_recording
    store = JobStore(resources.TABLE)
    with runtime.worker() as first, runtime.worker() as second:
        job_id = submit(path, tenant="cancel-chunks")
        wait_status(job_id, lambda j: j.status == JobStatus.TRANSCRIBING and j.progress > 0, timeout=180)
        assert len({c["worker"] for c in store.claims(job_id)}) >= 1
        cancel_job(store, get_settings(), job_id, "Cancelled by the test.")
        execution = wait_execution(job_id, timeout=60)
        # Every chunk stops: no lease is renewed any more, and later chunks are never taken.
        time.sleep(8)
        claimed = len(store.claims(job_id))
        held = [c for c in store.chunks(job_id) if c.get("lease_owner") and float(c["lease_until"]) > time.time()]
        time.sleep(4)
        assert len(store.claims(job_id)) == claimed
    assert execution["status"] in {"ABORTED", "FAILED"}
    assert held == [], held
    job = store.get(job_id)
    assert job is not None and job.status == JobStatus.CANCELLED
    plan = job.plan or []
    assert claimed < len(plan) + 2, "chunks kept being taken after the cancellation"
    listed = aws.client("s3").list_objects_v2(Bucket=resources.BUCKET, Prefix=f"results/{job_id}/transcript")
    assert listed["KeyCount"] == 0
    logs = "".join(runtime.log_paths[w.pid].read_text() for w in (first, second))
    assert "abandoning the job" in logs or "the job has ended; dropping its task" in logs
