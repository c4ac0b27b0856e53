"""Who spoke, on real audio: an espeak-ng conversation of three voices with known
turns, real Whisper (tiny.en), the real encoder; then through the whole pipeline."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
import srt
import webvtt
from fastapi.testclient import TestClient

from tests.support.api import new_key
from tests.support.conversation import Turn, best_mapping_accuracy, conversation, speaker_at
from tests.support.pipeline import read_result, submit, wait_job
from tests.support.subtitles import assert_readable
from ytcaption.api.app import create_app
from ytcaption.domain.captions import rules_for
from ytcaption.domain.errors import ErrorCode
from ytcaption.domain.formats import WORDS, cues, render_all
from ytcaption.domain.job import JobStatus
from ytcaption.domain.options import JobOptions
from ytcaption.domain.speakers import SpeakerRange
from ytcaption.domain.transcript import Transcript
from ytcaption.local.runtime import LocalRuntime
from ytcaption.settings import get_settings
from ytcaption.worker.speakers.apply import with_speakers
from ytcaption.worker.speakers.locate import WEIGHTS_ENV
from ytcaption.worker.transcribe import ModelCache, transcribe

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Turn]]:
    return conversation(tmp_path_factory.mktemp("conversation"))


@pytest.fixture(scope="module")
def heard(talk: tuple[Path, list[Turn]], tmp_path_factory: pytest.TempPathFactory) -> Transcript:
    options = JobOptions(model="tiny.en", word_timestamps=True)
    return transcribe(ModelCache(tmp_path_factory.mktemp("models"), 1), talk[0], options)


def _truth(turns: list[Turn], time: float) -> int:
    """The speaker at a time; a word Whisper placed in a pause belongs to the nearest turn."""
    found = speaker_at(turns, time)
    if found is not None:
        return found
    return min(turns, key=lambda t: min(abs(t.start - time), abs(t.end - time))).speaker


def _word_accuracy(transcript: Transcript, turns: list[Turn]) -> tuple[float, set[str]]:
    truth, labels = [], []
    for segment in transcript.segments:
        for word in segment.words or []:
            assert word.speaker == segment.speaker
            truth.append(_truth(turns, (word.start + word.end) / 2))
            labels.append(word.speaker or "none")
    assert len(truth) > 100
    return best_mapping_accuracy(truth, labels), set(labels)


@pytest.mark.parametrize("setting", ["auto", 3, SpeakerRange(min=2, max=4)], ids=["auto", "exact", "range"])
def test_three_voices_are_found_and_words_attributed(
    talk: tuple[Path, list[Turn]], heard: Transcript, setting: object
) -> None:
    path, turns = talk
    assert sum(1 for t in turns if t.end - t.start <= 2.0) >= 3  # short turns are part of the test
    options = JobOptions(model="tiny.en", word_timestamps=True, speakers=setting)  # type: ignore[arg-type]
    labelled = with_speakers(heard, path, options)
    accuracy, labels = _word_accuracy(labelled, turns)
    assert labels == {"Speaker 1", "Speaker 2", "Speaker 3"}
    assert accuracy >= 0.9, accuracy
    # Speaker 1 speaks first; segments never mix speakers; the text is unchanged.
    assert labelled.segments[0].speaker == "Speaker 1"
    assert labelled.text.split() == heard.text.split()
    assert labelled.timings and labelled.timings.diarization_seconds


def test_every_format_with_speakers_parses_and_renaming_changes_only_names(
    talk: tuple[Path, list[Turn]], heard: Transcript
) -> None:
    options = JobOptions(model="tiny.en", speakers="auto")
    labelled = with_speakers(heard, talk[0], options)
    rendered = render_all(labelled, options)
    assert "words" not in json.loads(rendered["json"])["segments"][0]  # not asked for: kept beside it
    shaped = cues(labelled)
    # Shaped subtitles never mix speakers: every cue holds one speaker's words.
    assert all(len({t.speaker for t in cue.tokens}) == 1 for cue in shaped)
    turns = [n for n, cue in enumerate(shaped) if n == 0 or cue.speaker != shaped[n - 1].speaker]
    assert len(turns) >= 10
    subtitles = list(srt.parse(rendered["srt"]))
    named_cues = [n for n, cue in enumerate(subtitles) if cue.content.startswith("Speaker ")]
    assert subtitles[0].content.startswith("Speaker 1: ") and len(named_cues) == len(turns)
    captions = webvtt.from_buffer(io.StringIO(rendered["vtt"]))
    assert [c.voice for c in captions] == [cue.speaker for cue in shaped]
    rules = rules_for(labelled.language)
    # Two voices a second apart leave cues short: the soft rules are kept less often than in one voice's speech.
    for fmt in ("srt", "vtt"):
        assert_readable(rendered[fmt], labelled, rules, f"three voices {fmt}", soft_share=0.8)
    paragraphs = rendered["txt"].strip().split("\n\n")
    assert paragraphs[0].startswith("Speaker 1: ") and len(paragraphs) >= len(turns)
    assert json.loads(rendered["json"])["segments"][0]["speaker"] == "Speaker 1"

    named = labelled.model_copy(update={"speaker_names": {"Speaker 1": "Alice", "Speaker 3": "Carol & Co"}})
    again = render_all(named, options)
    for fmt in ("txt", "vtt"):
        assert again[fmt] != rendered[fmt]
        expected = rendered[fmt].replace("Speaker 1", "Alice")
        expected = expected.replace("Speaker 3", "Carol &amp; Co" if fmt == "vtt" else "Carol & Co")
        assert again[fmt] == expected
    # SRT fits each name into its cue's lines: breaks may move, the words and who says them do not.
    assert _srt_words(again["srt"]) == _srt_words(rendered["srt"]).replace("Speaker 1:", "Alice:").replace(
        "Speaker 3:", "Carol & Co:"
    )
    assert_readable(again["srt"], named, rules, "three voices, named", soft_share=0.8)
    assert next(c.voice for c in webvtt.from_buffer(io.StringIO(again["vtt"]))) == "Alice"
    document = json.loads(again["json"])
    assert document["speaker_names"] == {"Speaker 1": "Alice", "Speaker 3": "Carol & Co"}
    assert document["segments"] == json.loads(rendered["json"])["segments"]


def _srt_words(text: str) -> str:
    return " ".join(" ".join(cue.content for cue in srt.parse(text)).split())


def test_the_pipeline_labels_speakers(runtime: object, worker: object, talk: tuple[Path, list[Turn]]) -> None:
    # Without word timestamps: the JSON shows none, the words file beside it keeps them (with their speakers).
    job_id = submit(talk[0], speakers="auto")
    job = wait_job(job_id)
    assert job.status == JobStatus.COMPLETED, job.error_reason
    assert job.options.speakers == "auto"
    assert "words" not in json.loads(read_result(job, "json"))["segments"][0]
    document = json.loads(read_result(job, WORDS))
    transcript = Transcript.model_validate({k: v for k, v in document.items() if k != "text"})
    accuracy, labels = _word_accuracy(transcript, talk[1])
    assert len(labels) == 3 and accuracy >= 0.9, (labels, accuracy)
    assert read_result(job, "txt").startswith("Speaker 1: ")
    assert list(srt.parse(read_result(job, "srt")))
    assert webvtt.from_buffer(io.StringIO(read_result(job, "vtt")))[0].voice == "Speaker 1"
    _rename_over_the_api(job_id)


def _rename_over_the_api(job_id: str) -> None:
    """PATCH names onto the labels: every format changes by the names alone; bad maps are refused."""
    with TestClient(create_app(get_settings())) as client:
        client.headers["X-Api-Key"] = new_key("tests")  # the tenant that submitted the job
        before = {f: client.get(f"/v1/transcriptions/{job_id}/result", params={"format": f}).text for f in FORMATS}
        for bad, status in (
            ({"speakers": {"Speaker 9": "Zed"}}, 422),
            ({"speakers": {"Speaker 1": "<b>"}}, 422),
            ({"speakers": {}}, 422),
            ({"names": {"Speaker 1": "A"}}, 422),
        ):
            answer = client.patch(f"/v1/transcriptions/{job_id}", json=bad)
            assert answer.status_code == status, (bad, answer.text)
        other = {"X-Api-Key": new_key("someone-else")}
        answer = client.patch(f"/v1/transcriptions/{job_id}", json={"speakers": {"Speaker 1": "A"}}, headers=other)
        assert answer.status_code == 404
        answer = client.patch(
            f"/v1/transcriptions/{job_id}", json={"speakers": {"Speaker 1": "Alice", "Speaker 2": "Bob"}}
        )
        assert answer.status_code == 200, answer.text
        after = {f: client.get(f"/v1/transcriptions/{job_id}/result", params={"format": f}).text for f in FORMATS}
        for fmt in ("txt", "vtt"):
            assert after[fmt] != before[fmt]
            assert after[fmt] == before[fmt].replace("Speaker 1", "Alice").replace("Speaker 2", "Bob")
        assert after["srt"] != before["srt"]
        assert _srt_words(after["srt"]) == _srt_words(before["srt"]).replace("Speaker 1:", "Alice:").replace(
            "Speaker 2:", "Bob:"
        )
        assert next(c.voice for c in webvtt.from_buffer(io.StringIO(after["vtt"]))) == "Alice"
        # A download with other subtitle settings is rendered again from the stored words: names kept.
        for fmt in ("srt", "vtt"):
            narrow = client.get(
                f"/v1/transcriptions/{job_id}/result", params={"format": fmt, "max_line_chars": 32}
            ).text
            assert "Alice" in narrow and "Bob" in narrow and "Speaker 1" not in narrow and "Speaker 2" not in narrow
            shown = re.sub(r"<[^>]*>", "", narrow).splitlines()
            assert max(len(line) for line in shown if "-->" not in line) <= 32
        named, plain = json.loads(after["json"]), json.loads(before["json"])
        assert named.pop("speaker_names") == {"Speaker 1": "Alice", "Speaker 2": "Bob"}
        assert named == plain  # labels, words, times and text unchanged
        # Renaming again merges; "" gives a label its own name back.
        client.patch(f"/v1/transcriptions/{job_id}", json={"speakers": {"Speaker 1": "", "Speaker 3": "Carol"}})
        txt = client.get(f"/v1/transcriptions/{job_id}/result", params={"format": "txt"}).text
        assert txt == before["txt"].replace("Speaker 2", "Bob").replace("Speaker 3", "Carol")


FORMATS = ("json", "txt", "srt", "vtt")


@pytest.mark.parametrize("served", [False, True])
@pytest.mark.parametrize("route", ["/v1/transcriptions", "/v1/uploads"])
def test_speakers_where_no_worker_labels_them_or_bad_values_are_refused(
    runtime: object, route: str, served: bool
) -> None:
    settings = get_settings().model_copy(update={"speakers_served": served})
    body = (
        {"source": {"url": "http://127.0.0.1:9/a.mp3"}} if route.endswith("transcriptions") else {"filename": "a.mp3"}
    )
    with TestClient(create_app(settings)) as client:
        client.headers["X-Api-Key"] = new_key("speakers")
        for bad in (0, 21, "many", {"min": 4, "max": 2}, True):
            answer = client.post(route, json={**body, "speakers": bad})
            assert answer.status_code == 422 and answer.json()["code"] == "validation-error", (bad, answer.text)
        # A site's captions carry no voices: speakers with prefer_captions is refused, whoever serves what.
        answer = client.post(route, json={**body, "speakers": "auto", "prefer_captions": True})
        assert answer.status_code == 422 and answer.json()["code"] == "validation-error", answer.text
        assert [e["field"] for e in answer.json()["errors"]] == ["body.speakers"]
        assert "prefer_captions" in answer.json()["errors"][0]["message"]
        if not served:
            answer = client.post(route, json={**body, "speakers": "auto"})
            assert answer.status_code == 422
            problem = answer.json()
            assert problem["code"] == "speakers-not-served" and problem["errors"][0]["field"] == "body.speakers"


def test_a_worker_without_the_weights_fails_the_job_with_a_reason(runtime: object, speech_wav: Path) -> None:
    """The deployment said it serves speakers, but this worker's image lacks the weights."""
    assert isinstance(runtime, LocalRuntime)
    proc = runtime.start_worker({WEIGHTS_ENV: "/nonexistent/pretrained.pt"})
    try:
        job = wait_job(submit(speech_wav, speakers=2))
    finally:
        runtime.stop_worker(proc)
    assert job.status == JobStatus.FAILED
    assert job.error_code == ErrorCode.MODEL_UNAVAILABLE and "resemblyzer" in (job.error_reason or "")
