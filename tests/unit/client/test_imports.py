"""The client (and the CLI that uses it) load without the AWS SDK or the server's packages."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("boto3", "botocore", "fastapi", "moto", "faster_whisper", "av", "yt_dlp")


def test_importing_the_client_and_the_cli_loads_no_aws_sdk() -> None:
    code = (
        "import sys, ytcaption.client, ytcaption.cli, ytcaption.cli.remote, ytcaption.cli.jobs\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
