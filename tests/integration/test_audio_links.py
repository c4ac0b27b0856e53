"""Audio links keep the lifetime they announce: `?redirect=false` gives a link of ours (a ticket in the
jobs table), not a presigned URL signed with the API Lambda's temporary credentials (which would die with
them, whatever its expiry said). Each request for the link is redirected to a presigned GET signed then."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.api import client, new_key
from tests.support.results import completed_job
from ytcaption import resources
from ytcaption.api.service import AUDIO_LINK_SECONDS, AUDIO_REDIRECT_SECONDS
from ytcaption.settings import get_settings
from ytcaption.store.audiolinks import AudioLinks

pytestmark = pytest.mark.integration

AUDIO = b"ID3" + bytes(range(256)) * 64


def test_an_audio_link_is_ours_and_each_use_is_signed_then(runtime: Any) -> None:
    with client(str(runtime.api_url), new_key("audio-links")) as api:
        job_id = completed_job("audio-links", {}, audio=AUDIO)
        answer = api.get(f"/v1/transcriptions/{job_id}/audio", params={"redirect": "false"})
        assert answer.status_code == 200
        link = answer.json()
        assert link["url"].startswith(f"{runtime.api_url}{resources.AUDIO_LINK_PATH}/")
        lifetime = datetime.fromisoformat(link["expires_at"].replace("Z", "+00:00")) - datetime.now(UTC)
        assert AUDIO_LINK_SECONDS - 120 < lifetime.total_seconds() <= AUDIO_LINK_SECONDS

        # No key: the link is the authorization. Each use: a fresh presigned GET, short-lived.
        for _ in range(2):
            moved = httpx.get(link["url"])
            assert moved.status_code == 307
            query = parse_qs(urlsplit(moved.headers["location"]).query)
            assert query["X-Amz-Expires"] == [str(AUDIO_REDIRECT_SECONDS)]
            signed = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            assert abs((datetime.now(UTC) - signed).total_seconds()) < 120
            assert httpx.get(moved.headers["location"]).content == AUDIO

        # Another tenant's key cannot get the job's link at all.
        with client(str(runtime.api_url), new_key("audio-links-other")) as other:
            assert other.get(f"/v1/transcriptions/{job_id}/audio", params={"redirect": "false"}).status_code == 404


def test_an_unknown_or_expired_audio_link_is_404(runtime: Any) -> None:
    settings = get_settings()
    job_id = completed_job("audio-links", {}, audio=AUDIO)
    token, _ = AudioLinks(settings.table).issue(job_id, "audio-links", settings.bucket, "audio/x", lifetime_seconds=0)
    for url in (f"{runtime.api_url}{resources.AUDIO_LINK_PATH}/{token}",
                f"{runtime.api_url}{resources.AUDIO_LINK_PATH}/{'A' * 32}"):  # fmt: skip
        answer = httpx.get(url)
        assert answer.status_code == 404 and answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] == "not-found" and "expired" in answer.json()["detail"]
    assert httpx.get(f"{runtime.api_url}{resources.AUDIO_LINK_PATH}/bad token!").status_code in (404, 422)
