# ruff: noqa: RUF003  (a Chinese sentence, as written)
"""Subtitles of real pipeline outputs meet the reading rules: the demo sample, a Chinese clip with
the multilingual base model, and downloads with other settings rendered again without a worker."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.paths import ROOT
from tests.support.api import client, new_key
from tests.support.pipeline import read_result, submit, wait_job
from tests.support.subtitles import assert_readable
from ytcaption.domain.captions.check import check_text, parse
from ytcaption.domain.captions.rules import SubtitleSettings, rules_for
from ytcaption.domain.job import Job, JobStatus
from ytcaption.domain.transcript import Transcript

pytestmark = pytest.mark.integration

# 今天我们讨论下个季度的预算。新的招聘计划已经准备好了，请大家在星期五之前提出问题。移动应用程序的发布日期
# 是下个月的第一个星期一。谢谢大家参加今天的会议。 In pinyin: espeak-ng's packaged Mandarin dictionary
# reads many characters as English letters, its pinyin voice speaks every syllable.
CHINESE = (
    "jin1 tian1 wo3 men5 tao3 lun4 xia4 ge4 ji4 du4 de5 yu4 suan4. xin1 de5 zhao1 pin4 ji4 hua4 yi3 jing1 zhun3 "
    "bei4 hao3 le5, qing3 da4 jia1 zai4 xing1 qi1 wu3 zhi1 qian2 ti2 chu1 wen4 ti2. yi2 dong4 ying4 yong4 cheng2 "
    "xu4 de5 fa1 bu4 ri4 qi1 shi4 xia4 ge4 yue4 de5 di4 yi1 ge4 xing1 qi1 yi1. xie4 xie4 da4 jia1 can1 jia1 jin1 "
    "tian1 de5 hui4 yi4."
)


@pytest.fixture(scope="module")
def welcome_job(runtime: Any) -> Job:
    worker = runtime.start_worker()
    try:
        job = wait_job(submit(ROOT / "samples" / "welcome.ogg", tenant="subtitles"), timeout=300)
    finally:
        runtime.stop_worker(worker)
    assert job.status == JobStatus.COMPLETED, job.error_reason
    return job


def _stored_transcript(job: Job) -> Transcript:
    return Transcript.model_validate_json(read_result(job, "words.json"))


def test_the_demo_sample_gives_readable_subtitles_from_its_words(welcome_job: Job) -> None:
    # word_timestamps was not asked for: the JSON shows no words, and they are kept beside it.
    assert all("words" not in s for s in json.loads(read_result(welcome_job, "json"))["segments"])
    transcript = _stored_transcript(welcome_job)
    assert all(s.words for s in transcript.segments)
    rules = rules_for(transcript.language)
    for fmt in ("srt", "vtt"):
        assert_readable(read_result(welcome_job, fmt), transcript, rules, f"welcome.{fmt}")
    # About 23 s of speech: Whisper's segments (two, 11-12 s and 140+ characters each) became more cues.
    assert len(parse(read_result(welcome_job, "srt"))) > len(transcript.segments)
    print(read_result(welcome_job, "srt"))


def test_a_download_with_other_settings_is_rendered_again_without_a_worker(
    welcome_job: Job, runtime: Any, base_url: str
) -> None:
    running = [w["pid"] for w in runtime.status()["workers"] if w["running"]]
    assert running == [], "this test runs with no worker"
    api = client(base_url, new_key("subtitles"))
    url = f"/v1/transcriptions/{welcome_job.job_id}/result"
    narrow = api.get(url, params={"format": "srt", "max_line_chars": 24, "max_lines": 1, "max_cue_seconds": 4})
    assert narrow.status_code == 200, narrow.text
    assert narrow.headers["content-type"].startswith("application/x-subrip")
    settings = SubtitleSettings(max_line_chars=24, max_lines=1, max_cue_seconds=4)
    transcript = _stored_transcript(welcome_job)
    # One 24-character line is narrow for 23 s of speech in 15 cues: one cue short of 5/6 s is 7 %
    # (a spoken "Welcome" followed at once by the next words); the hard rules hold in every cue.
    report = assert_readable(narrow.text, transcript, rules_for("en", settings), "narrow.srt", soft_share=0.9)
    assert report.cues > len(parse(read_result(welcome_job, "srt")))
    assert all(len(line) <= 24 for cue in parse(narrow.text) for line in cue.lines)

    karaoke = api.get(url, params={"format": "vtt", "karaoke": "true"})
    assert karaoke.status_code == 200 and karaoke.text.startswith("WEBVTT")
    assert karaoke.text.count("<00:") == sum(len(s.words or []) for s in transcript.segments) - len(parse(karaoke.text))
    assert_readable(karaoke.text, transcript, rules_for("en"), "karaoke.vtt")

    # Without settings: the stored file, as written by the worker.
    assert api.get(url, params={"format": "srt"}).text == read_result(welcome_job, "srt")
    for bad in ({"max_line_chars": 5}, {"max_lines": 9}, {"min_cue_seconds": 3, "max_cue_seconds": 2}):
        refused = api.get(url, params={"format": "srt", **bad})
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
    wrong_format = api.get(url, params={"format": "json", "max_line_chars": 30})
    assert wrong_format.status_code == 422 and "srt or vtt" in wrong_format.json()["detail"]


def test_settings_given_at_creation_shape_the_stored_subtitles(runtime: Any, base_url: str, speech_wav: Path) -> None:
    api = client(base_url, new_key("subtitles-create"))
    refused = api.post("/v1/transcriptions", json={"source": {"url": "https://example.com/a.mp3"},
                                                  "subtitles": {"max_line_chars": 500}})  # fmt: skip
    assert refused.status_code == 422 and "max_line_chars" in refused.text
    worker = runtime.start_worker()
    try:
        job = wait_job(submit(speech_wav, tenant="subtitles", subtitles={"max_line_chars": 30, "karaoke": True}))
    finally:
        runtime.stop_worker(worker)
    assert job.status == JobStatus.COMPLETED, job.error_reason
    transcript = _stored_transcript(job)
    rules = rules_for("en", SubtitleSettings(max_line_chars=30))
    vtt = read_result(job, "vtt")
    assert "<00:" in vtt
    assert_readable(vtt, transcript, rules, "meeting.vtt")
    assert max(len(line) for cue in parse(read_result(job, "srt")) for line in cue.lines) <= 30


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_a_chinese_clip_is_shaped_in_characters(runtime: Any, tmp_path: Path) -> None:
    wav = tmp_path / "chinese.wav"
    subprocess.run(["espeak-ng", "-v", "cmn-latn-pinyin", "-s", "130", "-w", str(wav), CHINESE], check=True)
    worker = runtime.start_worker()
    try:
        job = wait_job(submit(wav, tenant="subtitles", model="base", language="zh", word_timestamps=True), 600)
    finally:
        runtime.stop_worker(worker)
    assert job.status == JobStatus.COMPLETED, job.error_reason
    transcript = Transcript.model_validate_json(read_result(job, "json"))
    assert transcript.language == "zh"
    assert sum(len(s.text) for s in transcript.segments) >= 40, transcript.text  # Chinese heard, not noise
    rules = rules_for("zh")
    for fmt in ("srt", "vtt"):
        text = read_result(job, fmt)
        assert_readable(text, transcript, rules, f"chinese.{fmt}")
        assert all(len(line) <= 16 for cue in parse(text) for line in cue.lines)
    assert check_text(read_result(job, "srt")).rules == rules  # the checker knows the script by itself
    print(read_result(job, "srt"))


def test_api_client_sees_subtitles_in_options(welcome_job: Job, base_url: str) -> None:
    body = httpx.get(f"{base_url}/v1/transcriptions/{welcome_job.job_id}",
                     headers={"X-Api-Key": new_key("subtitles")}).json()  # fmt: skip
    assert body["options"]["subtitles"] is None
