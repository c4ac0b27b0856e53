"""ytcaption.domain.job: the status transition table, JobOptions validation and upload job ids."""

from __future__ import annotations

import itertools
import re

import pytest
from pydantic import ValidationError

from ytcaption.domain.ids import upload_job_id
from ytcaption.domain.job import (
    ALLOWED_FROM,
    TERMINAL,
    Job,
    JobStatus,
    S3Source,
    can_transition,
    iso,
)
from ytcaption.domain.options import JobOptions

S = JobStatus
NON_TERMINAL = [s for s in S if s not in TERMINAL]
ALL_PAIRS = list(itertools.product(S, S))

# -- statuses and transitions -------------------------------------------------


def test_terminal_statuses() -> None:
    assert {s for s in S if s.terminal} == {S.COMPLETED, S.FAILED, S.CANCELLED}
    assert NON_TERMINAL == [S.PENDING, S.DOWNLOADING, S.QUEUED, S.TRANSCRIBING]


def test_rank_follows_declaration_order() -> None:
    assert [s.rank for s in S] == list(range(7))
    assert S.PENDING.rank == 0
    assert S.COMPLETED.rank == 4
    assert S.CANCELLED.rank == 6


def test_every_status_has_a_table_entry() -> None:
    assert set(ALLOWED_FROM) == set(S)


@pytest.mark.parametrize("current", sorted(TERMINAL))
def test_terminal_status_never_moves(current: JobStatus) -> None:
    assert [t for t in S if can_transition(current, t)] == []


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS)
def test_no_backwards_or_sideways_moves(current: JobStatus, target: JobStatus) -> None:
    if can_transition(current, target):
        assert target.rank > current.rank
        assert not current.terminal


def test_no_self_transitions() -> None:
    assert not any(can_transition(s, s) for s in S)


def test_happy_path_chain() -> None:
    chain = [S.PENDING, S.DOWNLOADING, S.QUEUED, S.TRANSCRIBING, S.COMPLETED]
    for current, target in itertools.pairwise(chain):
        assert can_transition(current, target), (current, target)


def test_upload_may_skip_downloading() -> None:
    assert can_transition(S.PENDING, S.QUEUED)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.PENDING, S.TRANSCRIBING),
        (S.PENDING, S.COMPLETED),
        (S.DOWNLOADING, S.TRANSCRIBING),
        (S.QUEUED, S.COMPLETED),
        (S.TRANSCRIBING, S.QUEUED),
        (S.QUEUED, S.DOWNLOADING),
        (S.COMPLETED, S.FAILED),
        (S.FAILED, S.CANCELLED),
        (S.CANCELLED, S.FAILED),
        (S.FAILED, S.PENDING),
    ],
)
def test_forbidden_transitions(current: JobStatus, target: JobStatus) -> None:
    assert not can_transition(current, target)


@pytest.mark.parametrize("current", NON_TERMINAL)
@pytest.mark.parametrize("target", [S.FAILED, S.CANCELLED])
def test_failed_and_cancelled_reachable_from_every_non_terminal(current: JobStatus, target: JobStatus) -> None:
    assert can_transition(current, target)


def test_completed_from_transcribing_or_from_captions_while_downloading() -> None:
    assert ALLOWED_FROM[S.COMPLETED] == frozenset({S.DOWNLOADING, S.TRANSCRIBING})
    assert ALLOWED_FROM[S.PENDING] == frozenset()


def test_full_table() -> None:
    allowed = {(c, t) for c, t in ALL_PAIRS if can_transition(c, t)}
    assert allowed == {
        (S.PENDING, S.DOWNLOADING),
        (S.PENDING, S.QUEUED),
        (S.DOWNLOADING, S.QUEUED),
        (S.QUEUED, S.TRANSCRIBING),
        (S.TRANSCRIBING, S.COMPLETED),
        (S.DOWNLOADING, S.COMPLETED),
        *((c, S.FAILED) for c in NON_TERMINAL),
        *((c, S.CANCELLED) for c in NON_TERMINAL),
    }


def test_iso_format() -> None:
    import datetime as dt

    ts = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)
    assert iso(ts) == "2024-05-06T07:08:09.123Z"


# -- JobOptions -------------------------------------------------------------------


def test_defaults() -> None:
    o = JobOptions()
    assert o.model_dump() == {
        "model": "tiny.en",
        "language": None,
        "task": "transcribe",
        "word_timestamps": False,
        "vad": True,
        "beam_size": 5,
        "prefer_captions": False,
        "priority": "normal",
        "webhook_url": None,
        "notify_progress": False,
        "notify_email": None,
        "prompt": None,
        "speakers": None,
        "subtitles": None,
    }


@pytest.mark.parametrize("value", ["auto", "AUTO", " Auto ", "", "   ", None])
def test_auto_language_is_none(value: str | None) -> None:
    assert JobOptions(language=value).language is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("EN", "en"), ("en", "en"), ("De", "de"), ("yue", "yue"), ("en-US", "en-us"), ("haw", "haw")],
)
def test_language_is_lowercased(value: str, expected: str) -> None:
    assert JobOptions(language=value).language == expected


@pytest.mark.parametrize("value", ["e", "english123", "en_US", "toolonglang", "en us", "12", " en ", "--", 5])
def test_bad_language_rejected(value: object) -> None:
    with pytest.raises(ValidationError) as info:
        JobOptions(language=value)
    assert info.value.errors()[0]["loc"] == ("language",)


def test_unknown_fields_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        JobOptions(modle="base")
    assert info.value.errors()[0]["type"] == "extra_forbidden"


def test_options_are_frozen() -> None:
    o = JobOptions()
    with pytest.raises(ValidationError):
        o.model = "base"  # type: ignore[misc]


@pytest.mark.parametrize(
    "model",
    [
        "tiny",
        "tiny.en",
        "base",
        "large-v3",
        "turbo",
        "distil-large-v3",
        "Systran/faster-whisper-small",
        "org/model_name.v2",
        "/opt/models/tiny",
        "./models/tiny",
        "../models/tiny",
        "~/models/tiny",
    ],
)
def test_valid_models(model: str) -> None:
    assert JobOptions(model=model).model == model


@pytest.mark.parametrize(
    "model",
    ["", "huge", "tiny.EN", "Tiny", "large-v4", "a/b/c", "org/", "-/-", "org/na me", "org/na$me"],
)
def test_invalid_models(model: str) -> None:
    with pytest.raises(ValidationError) as info:
        JobOptions(model=model)
    assert info.value.errors()[0]["loc"] == ("model",)


@pytest.mark.parametrize("beam", [1, 5, 10])
def test_beam_size_in_bounds(beam: int) -> None:
    assert JobOptions(beam_size=beam).beam_size == beam


@pytest.mark.parametrize("beam", [0, -1, 11, 100])
def test_beam_size_out_of_bounds(beam: int) -> None:
    with pytest.raises(ValidationError) as info:
        JobOptions(beam_size=beam)
    assert info.value.errors()[0]["loc"] == ("beam_size",)


@pytest.mark.parametrize("task", ["transcribe", "translate"])
def test_tasks(task: str) -> None:
    assert JobOptions(task=task).task == task


def test_bad_task_rejected() -> None:
    with pytest.raises(ValidationError):
        JobOptions(task="summarize")


def test_options_round_trip_through_dump() -> None:
    o = JobOptions(model="base", language="FR", task="translate", word_timestamps=True, vad=False, beam_size=2)
    assert JobOptions.model_validate(o.model_dump()) == o
    assert o.language == "fr"


def test_s3_source() -> None:
    assert S3Source(bucket="b", key="k").model_dump() == {"type": "s3", "bucket": "b", "key": "k"}
    with pytest.raises(ValidationError):
        S3Source(bucket="b", key="k", extra="x")


def test_job_model_ignores_store_fields() -> None:
    job = Job.model_validate(
        {
            "pk": "JOB#j",
            "sk": "JOB",
            "job_id": "j",
            "tenant": "t",
            "status": "QUEUED",
            "source": {"type": "s3"},
            "options": {"model": "base"},
            "created_at": "2024-01-01T00:00:00.000Z",
            "lease_owner": "w",
        }
    )
    assert job.status is S.QUEUED
    assert job.options.model == "base"
    assert job.progress == 0
    assert job.batch_id is None and job.batch_entry is None


def test_a_batch_entry_job_says_its_batch_so_notify_reads_nothing_again() -> None:
    """Notify counts an ended job in its batch from the job it read (batch.progress.job_ended)."""
    from decimal import Decimal

    item = {"job_id": "j", "tenant": "t", "status": "COMPLETED", "source": {"type": "url"}, "options": {},
            "created_at": "2024-01-01T00:00:00.000Z", "batch_id": "b1", "batch_entry": Decimal(3)}  # fmt: skip
    job = Job.model_validate(item)
    assert (job.batch_id, job.batch_entry) == ("b1", 3)


# -- job ids ------------------------------------------------------------------------

SFN_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def test_job_id_is_deterministic() -> None:
    a = upload_job_id("bucket", "uploads/t/u/a.mp3", "abc123")
    assert a == upload_job_id("bucket", "uploads/t/u/a.mp3", "abc123")
    assert re.fullmatch(r"job-[0-9a-f]{24}", a)


def test_job_id_ignores_etag_quotes() -> None:
    bare = upload_job_id("b", "k", "d41d8cd98f00b204e9800998ecf8427e")
    assert upload_job_id("b", "k", '"d41d8cd98f00b204e9800998ecf8427e"') == bare


@pytest.mark.parametrize(
    "other",
    [
        ("b", "k2", "e"),
        ("b2", "k", "e"),
        ("b", "k", "e2"),
        ("b", "k", "E"),
        ("b\nk", "", "e"),
    ],
)
def test_job_id_differs_for_different_uploads(other: tuple[str, str, str]) -> None:
    assert upload_job_id("b", "k", "e") != upload_job_id(*other)


@pytest.mark.parametrize(
    ("bucket", "key", "etag"),
    [
        ("b", "k", "e"),
        ("my-bucket", "uploads/tenant/id/" + "x" * 1000 + ".mp4", '"abc-12"'),
        ("b", "uploads/ténant/🎵/файл name.wav", ""),
    ],
)
def test_job_id_is_a_valid_execution_name(bucket: str, key: str, etag: str) -> None:
    job_id = upload_job_id(bucket, key, etag)
    assert SFN_NAME.fullmatch(job_id), job_id
    assert len(job_id) <= 80


def test_an_uploads_source_names_its_file_only_when_known() -> None:
    pinned = S3Source(bucket="b", key="k", etag='"abc"')
    assert pinned.model_dump() == {"type": "s3", "bucket": "b", "key": "k", "etag": '"abc"'}
    assert S3Source.model_validate(pinned.model_dump()) == pinned
