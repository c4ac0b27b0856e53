"""Shared fixtures: real speech audio, and one embedded local runtime per test session."""

from __future__ import annotations

import importlib.util
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import iam as iam_check
from tests.support.audio import MEETING, STORY, encode, espeak
from tests.support.media_server import MediaServer, media_server

# Small values so retries and timeouts happen within a test's patience.
TEST_SETTINGS = {
    "YTC_POLL_WAIT_SECONDS": "1",
    "YTC_HEARTBEAT_SECONDS": "6",
    # A lost worker's message reappears this long after its lease lapsed.
    "YTC_LEASE_MARGIN_SECONDS": "2",
    "YTC_DEFAULT_MODEL": "tiny.en",
    # The media server of the download tests lives on 127.0.0.1.
    "YTC_ALLOW_LOOPBACK_URLS": "true",
    "YTC_ALLOWED_SITES": "127.0.0.1,localhost",
    "YTC_BREAKER_THRESHOLD": "3",
    "YTC_BREAKER_RESET_SECONDS": "4",
    # The webhook receiver of the notification tests is plain http on 127.0.0.1.
    "YTC_WEBHOOK_REQUIRE_HTTPS": "false",
    # Off for the session: the tests of the GPU queue expect their jobs on the queue. The fast lane's own
    # tests turn it on for their jobs (tests/integration/test_fast_lane.py).
    "YTC_FAST_LANE": "false",
}
WORKER_ENV = {"HF_HUB_OFFLINE": "1"}
# Where the session runtime's components recorded their AWS calls; the IAM check's outcome.
CALL_LOG = pytest.StashKey[Path]()
IAM_RESULT = pytest.StashKey[tuple[list[str], Path | None]]()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def speech_wav(media_dir: Path) -> Path:
    return espeak(MEETING, media_dir / "meeting.wav")


@pytest.fixture(scope="session")
def speech_mp3(media_dir: Path, speech_wav: Path) -> Path:
    return encode(speech_wav, media_dir / "meeting.mp3", "libmp3lame")


@pytest.fixture(scope="session")
def talk_server(speech_mp3: Path) -> Iterator[MediaServer]:
    """The meeting's speech as /talk.mp3 on 127.0.0.1 (any query string gives the same file)."""
    with media_server() as server:
        server.serve_file("/talk.mp3", speech_mp3)
        yield server


@pytest.fixture(scope="session")
def long_speech_wav(media_dir: Path) -> Path:
    """About 90 s of speech: long enough to interrupt a worker mid-job."""
    return espeak(STORY * 3, media_dir / "story.wav")


@pytest.fixture(scope="session")
def long_conversation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    """Over ten minutes of three espeak-ng voices in alternating turns (tests/support/conversation.py,
    12 rounds, lines rotating among the voices): long enough to be cut into chunks; made once."""
    from tests.support.conversation import conversation

    return conversation(tmp_path_factory.mktemp("long-conversation"), repeats=12, rotate=True)


def _localstack() -> str | None:
    """`make test-localstack` (TEST_AGAINST_LOCALSTACK=<endpoint>): the same tests against a running
    LocalStack instead of the embedded emulator; skipped, saying why, where none answers."""
    import urllib.request

    endpoint = os.environ.get("TEST_AGAINST_LOCALSTACK")
    if not endpoint:
        return None
    try:
        with urllib.request.urlopen(f"{endpoint.rstrip('/')}/_localstack/health", timeout=3) as answer:
            answer.read()
    except OSError as exc:
        pytest.skip(f"no LocalStack answers at {endpoint} ({exc}): start one (`localstack start`, needs Docker)")
    return endpoint.rstrip("/")


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[object]:
    from ytcaption.local.runtime import LocalRuntime, RuntimeConfig, free_port

    state_dir = tmp_path_factory.mktemp("runtime")
    config = RuntimeConfig(
        port=free_port(),
        workers=0,
        state_dir=state_dir,
        settings=TEST_SETTINGS,
        worker_env=WORKER_ENV,
        api_port=free_port(),  # the HTTP API (uvicorn), as `ytcaption local up` serves it
        external_endpoint=_localstack(),
    )
    rt = LocalRuntime(config)
    saved = dict(os.environ)
    # Every component of the runtime records its AWS calls here; checked at the end of the session.
    calls = tmp_path_factory.mktemp("aws-calls")
    os.environ[iam_check.CALL_LOG_ENV] = str(calls)
    pytestconfig.stash[CALL_LOG] = calls
    try:
        rt.up()
        yield rt
    finally:
        rt.down()
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def client_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog at DEBUG that also hears the client's loggers. A Lambda handler imported in-process earlier
    in the session makes Powertools take the `ytcaption` logger for its service (level INFO, no
    propagation), which would swallow `ytcaption.client.*` records before they reach caplog."""
    import logging

    caplog.set_level(logging.DEBUG)
    logger = logging.getLogger("ytcaption.client")
    saved = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG)
    logger.addHandler(caplog.handler)
    logger.propagate = False  # heard once, by caplog's handler
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


@pytest.fixture
def worker(runtime: object) -> Iterator[subprocess.Popen[bytes]]:
    """One Whisper worker process for the test, stopped (SIGTERM) after it."""
    from ytcaption.local.runtime import LocalRuntime

    assert isinstance(runtime, LocalRuntime)
    with runtime.worker() as proc:
        yield proc


# -- the IAM check: every AWS call the runtime made, against the deployed roles (tests/support/iam.py) --


def _gpu_template(config: pytest.Config) -> dict[str, Any] | None:
    """The GPU synthesis as the local runtime is configured: with an email sender (`local up` has one),
    so the notifiers' SES permission is there to check (None without the `cdk` extra)."""
    template = config.stash.get(iam_check.GPU_TEMPLATE, None)
    if template is None:
        if importlib.util.find_spec("aws_cdk") is None:
            return None
        from tests.cdk.conftest import _synth

        factory: pytest.TempPathFactory = config._tmp_path_factory  # type: ignore[attr-defined]
        from ytcaption.local.runtime import LOCAL_EMAIL_SENDER

        template = _synth(factory.mktemp("cdk-iam"), {"emailSender": LOCAL_EMAIL_SENDER}).template
        config.stash[iam_check.GPU_TEMPLATE] = template
    return template


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    calls = session.config.stash.get(CALL_LOG, None)
    if calls is None or exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return
    try:
        template = _gpu_template(session.config)
        if template is None:
            session.config.stash[IAM_RESULT] = (["not run: the `cdk` extra is not installed (make install)"], None)
            return
        recorded = iam_check.load_calls(calls)
        report = iam_check.check(template, recorded)
    except Exception as exc:
        session.config.stash[IAM_RESULT] = ([f"FAILED to run: {type(exc).__name__}: {exc}"], None)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        return
    # In the working tree (.ytcaption/ is ignored): basetemp is shared and pruned by other runs.
    report_dir = session.config.rootpath / ".ytcaption"
    report_dir.mkdir(exist_ok=True)
    path = iam_check.write_report(report, report_dir / "iam-report.json")
    lines = [f"NOT ALLOWED in AWS: {finding.line()}" for finding in report.findings]
    if report.findings:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    else:
        tasks = report.components.get(iam_check.STATE_MACHINE_COMPONENT, {}).get("calls", 0)
        lines.append(f"allowed: {len(recorded)} AWS calls of the runtime's components, {tasks} state machine tasks")
    session.config.stash[IAM_RESULT] = (lines, path)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    result = config.stash.get(IAM_RESULT, None)
    if result is None:
        return
    lines, path = result
    failed = any(line.startswith(("NOT ALLOWED", "FAILED")) for line in lines)
    terminalreporter.section("IAM check of the runtime's AWS calls", sep="=", red=failed, green=not failed)
    for line in lines:
        terminalreporter.line(line, red=line.startswith(("NOT ALLOWED", "FAILED")))
    if path:
        terminalreporter.line(f"report: {path}")
