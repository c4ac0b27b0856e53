"""Who spoke, on long audio: over ten minutes of three voices, cut into chunks, transcribed by two
workers; the merge clusters the whole job's voices once, so each person keeps one label across cuts."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.support.conversation import Turn, best_mapping_accuracy, speaker_at
from tests.support.pipeline import all_chunks_done_but_the_last, read_result, submit, wait_job
from ytcaption import resources
from ytcaption.domain.job import JobStatus
from ytcaption.store import aws
from ytcaption.store.jobs import JobStore
from ytcaption.store.media import chunk_voices_key

pytestmark = pytest.mark.integration


def _truth(turns: list[Turn], time: float) -> int:
    found = speaker_at(turns, time)
    if found is not None:
        return found
    return min(turns, key=lambda t: min(abs(t.start - time), abs(t.end - time))).speaker


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_chunked_conversation_keeps_each_voice_under_one_label(
    runtime: Any, long_conversation: tuple[Path, list[Turn]]
) -> None:
    path, turns = long_conversation
    with runtime.worker() as first, runtime.worker() as second:
        cpu_before = _cpu_seconds(first.pid) + _cpu_seconds(second.pid)
        started = time.monotonic()
        job = wait_job(submit(path, speakers="auto", word_timestamps=True), timeout=1200)
        wall = time.monotonic() - started
        cpu = _cpu_seconds(first.pid) + _cpu_seconds(second.pid) - cpu_before
    assert job.status == JobStatus.COMPLETED, job.error_reason
    plan = job.plan or []
    assert job.media and job.media["duration"] >= 600 and len(plan) >= 4, plan
    claims = [c for c in JobStore(resources.TABLE).claims(job.job_id) if "chunk" in c]
    assert len({c["worker"] for c in claims}) == 2, claims

    # Each chunk's voices were stored beside its transcript: small (float16 in base64, ~0.7 KB per 1.6 s
    # window, ~440 B per second of speech; 600 B a second of the chunk leaves room for the JSON around it).
    s3 = aws.client("s3")
    sizes = [s3.head_object(Bucket=resources.BUCKET, Key=chunk_voices_key(job.job_id, c["index"]))["ContentLength"]
             for c in plan]  # fmt: skip
    assert all(0 < size < 600 * (c["end"] - c["start"]) for size, c in zip(sizes, plan, strict=True)), sizes

    words = [w for s in json.loads(read_result(job, "json"))["segments"] for w in s["words"]]
    truth = [_truth(turns, (w["start"] + w["end"]) / 2) for w in words]
    labels = [w.get("speaker") or "none" for w in words]
    assert len(words) > 1000
    # `auto` found the three voices, and words are theirs under the best mapping of labels to voices.
    assert set(labels) == {"Speaker 1", "Speaker 2", "Speaker 3"}, Counter(labels)
    accuracy = best_mapping_accuracy(truth, labels)
    assert accuracy >= 0.9, accuracy

    # Stable across cuts: the one mapping found for the whole file holds within every chunk (a chunk
    # labelled on its own would number its voices by its own first speaker: every round rotates them).
    names = sorted(set(labels))
    mapping = max(
        ({n: v for n, v in zip(names, perm, strict=True)} for perm in _permutations(3)),
        key=lambda m: sum(m[lab] == t for lab, t in zip(labels, truth, strict=True)),
    )
    for chunk in plan:
        inside = [(t, lab) for w, t, lab in zip(words, truth, labels, strict=True)
                  if chunk["cut_start"] <= (w["start"] + w["end"]) / 2 < chunk["cut_end"]]  # fmt: skip
        right = sum(mapping[lab] == t for t, lab in inside) / len(inside)
        assert len(inside) > 100 and right >= 0.85, (chunk["index"], right)
        assert {lab for _, lab in inside} == set(names), chunk["index"]  # every voice speaks in every chunk
    assert read_result(job, "txt").startswith("Speaker 1: ")
    metrics = (job.result or {}).get("metrics") or {}
    print(
        f"\nspeakers on long audio: {job.media['duration']:.0f} s, {len(plan)} chunks, 2 workers, tiny.en: "
        f"wall {wall:.1f} s, workers' CPU {cpu:.1f} s, word accuracy {accuracy:.4f}, "
        f"voices {sum(sizes) / 1024:.0f} KB, processing {metrics.get('processing_seconds')} s"
    )


def test_chunks_done_without_their_voices_are_heard_again_at_the_merge(
    runtime: Any, long_conversation: tuple[Path, list[Turn]]
) -> None:
    """Chunk results written without voices (a worker of an earlier version, before a deploy): the merge
    hears those chunks again from the audio instead of failing or dropping the speakers."""
    path, turns = long_conversation
    job_id = submit(path, speakers="auto", word_timestamps=True)
    plan = all_chunks_done_but_the_last(job_id)
    s3 = aws.client("s3")
    with runtime.worker():
        job = wait_job(job_id, timeout=600)
    assert job.status == JobStatus.COMPLETED, job.error_reason
    for chunk in plan[:-1]:  # never written: heard at the merge, not stored
        with pytest.raises(s3.exceptions.ClientError):
            s3.head_object(Bucket=resources.BUCKET, Key=chunk_voices_key(job_id, chunk["index"]))
    words = [w for s in json.loads(read_result(job, "json"))["segments"] for w in s["words"]]
    # Only the last chunk's words (the others' stored results are empty), labelled from the whole job's voices.
    assert len(words) > 100 and all(w["start"] >= plan[-1]["cut_start"] - 0.5 for w in words)
    truth = [_truth(turns, (w["start"] + w["end"]) / 2) for w in words]
    labels = [w.get("speaker") or "none" for w in words]
    assert len(set(labels)) == 3 and best_mapping_accuracy(truth, labels) >= 0.9, Counter(labels)


def _permutations(n: int) -> list[tuple[int, ...]]:
    from itertools import permutations

    return list(permutations(range(n)))
