"""The docs site: generated pages match the code, the site builds offline, the commands shown still work.

The shell commands are checked offline and without side effects: every `ytcaption ...` line of a fenced
bash block is parsed by the real argparse parser, and every `make ...` line is run as `make -n` (a dry
run). Commands that need AWS, LocalStack, the network or a running runtime (curl, cdk, aws) are not run.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from tests.paths import ROOT

DOCS = ROOT / "docs"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _gen_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _blocks(language: str) -> list[tuple[Path, str]]:
    pages = [*sorted(DOCS.rglob("*.md")), ROOT / "README.md"]
    return [(page, body) for page in pages for lang, body in FENCE.findall(page.read_text()) if lang == language]


def test_generated_pages_match_the_code() -> None:
    gen = _gen_docs()
    stale = [
        path for path, text in gen.generate().items() if not (ROOT / path).exists() or (ROOT / path).read_text() != text
    ]
    assert not stale, f"generated docs out of date: {stale}; run `{gen.FIX}` and commit the result"


def test_every_generated_page_is_in_the_site_navigation() -> None:
    nav = (ROOT / "mkdocs.yml").read_text()
    for path in _gen_docs().PAGES:
        assert Path(path).relative_to("docs").as_posix() in nav, path


def test_runbook_has_one_entry_per_alarm() -> None:
    gen = _gen_docs()
    names = [name for name, _, _ in gen._alarms()]
    assert names, "no alarm(...) call found in cdk/ytcaption_cdk/observability.py"
    assert sorted(names) == sorted(gen.RUNBOOK)


@pytest.mark.timeout(120)
def test_site_builds_strict_and_offline(tmp_path: Path) -> None:
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    external = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=\"(?:https?:)?//", re.IGNORECASE)
    offenders = [str(page.relative_to(site)) for page in site.rglob("*.html") if external.search(page.read_text())]
    assert not offenders, f"pages that load a script, stylesheet or image from another host: {offenders}"
    # Material loads mermaid.js from a CDN for ```mermaid blocks once they are rendered (class "mermaid").
    assert not [p for p in site.rglob("*.html") if 'class="mermaid"' in p.read_text()]


def _command_lines() -> list[tuple[str, str]]:
    """(page, line) for every line of a bash block; continuation lines joined, comments dropped."""
    found = []
    for page, body in _blocks("bash"):
        for line in body.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip().removesuffix("&").strip()
            if line:
                found.append((page.relative_to(ROOT).as_posix(), line))
    return found


def _ytcaption_lines() -> list[tuple[str, str]]:
    return [(page, line) for page, line in _command_lines() if re.match(r"^(\.venv/bin/)?ytcaption\b", line)]


def _make_lines() -> list[tuple[str, str]]:
    return [(page, line) for page, line in _command_lines() if line.startswith("make ")]


def test_the_docs_show_commands_to_check() -> None:
    assert len(_ytcaption_lines()) >= 5
    assert len(_make_lines()) >= 2


@pytest.mark.parametrize(("page", "line"), _ytcaption_lines())
def test_ytcaption_commands_in_the_docs_parse(page: str, line: str) -> None:
    from ytcaption.cli import build_parser

    # A synopsis marks optional parts with [...]: check them as if given.
    argv = shlex.split(re.sub(r"\[([^\]]*)\]", r"\1", line))[1:]
    try:
        build_parser().parse_args(argv)
    except SystemExit as exc:
        pytest.fail(f"{page}: `{line}` is not a valid ytcaption command (exit {exc.code})")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize(("page", "line"), _make_lines())
def test_make_commands_in_the_docs_exist(page: str, line: str) -> None:
    argv = ["make", "-n", *shlex.split(line)[1:]]
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{page}: `{' '.join(argv)}` failed:\n{result.stderr}"


def test_the_webhook_signature_check_shown_accepts_the_real_signature() -> None:
    from ytcaption.finish import webhooks

    (snippet,) = [body for page, body in _blocks("python") if page.name == "webhooks.md"]
    namespace: dict[str, object] = {}
    exec(snippet, namespace)
    verify = namespace["verify_ytcaption_signature"]
    assert callable(verify)
    body = b'{"event_type": "transcription.completed"}'
    now = int(time.time())
    header = webhooks.sign("s3cret", now, body)
    assert verify("s3cret", header, body)
    assert not verify("other", header, body)
    assert not verify("s3cret", header, body + b" ")
    stale = f"t={now - 3600},v1=" + hmac.new(b"s3cret", f"{now - 3600}.".encode() + body, hashlib.sha256).hexdigest()
    assert not verify("s3cret", stale, body)
