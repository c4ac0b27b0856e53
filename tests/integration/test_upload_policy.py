"""The local S3 holds form uploads to their presigned policy, as S3 does: a tampered,
forged, oversized or empty upload is refused and stores nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.api import client, new_key
from ytcaption import resources
from ytcaption.store import aws

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api(base_url: str) -> Any:
    with client(base_url, new_key("policy-a", max_upload_bytes=50_000)) as keyed:
        yield keyed


def _ticket(api: httpx.Client, name: str = "talk.mp3") -> dict[str, Any]:
    answer = api.post("/v1/uploads", json={"filename": name})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _stored(key: str) -> bool:
    listing = aws.client("s3").list_objects_v2(Bucket=resources.BUCKET, Prefix=key)
    return bool(listing.get("Contents"))


def _post(ticket: dict[str, Any], fields: dict[str, str], data: bytes) -> httpx.Response:
    return httpx.post(ticket["url"], data=fields, files={"file": ("talk.mp3", data)}, timeout=30)


@pytest.mark.parametrize(
    ("target", "status"),
    [
        ("uploads/policy-b/{upload}/talk.mp3", 403),  # another tenant's prefix: a job would appear as theirs
        ("results/job-someone/transcript.txt", 403),  # overwrite another tenant's result
        ("audio/job-someone/audio.mp3", 403),
    ],
)
def test_a_tampered_key_is_refused_and_nothing_lands(api: httpx.Client, target: str, status: int) -> None:
    ticket = _ticket(api)
    key = target.format(upload=ticket["upload_id"])
    answer = _post(ticket, {**ticket["fields"], "key": key}, b"ID3" + b"\0" * 100)
    assert answer.status_code == status, answer.text
    assert "AccessDenied" in answer.text
    assert not _stored(key)


def test_a_forged_signature_is_refused(api: httpx.Client) -> None:
    ticket = _ticket(api)
    fields = dict(ticket["fields"])
    signature = next(name for name in fields if name.lower() in {"signature", "x-amz-signature"})
    fields[signature] = fields[signature][::-1]
    answer = _post(ticket, fields, b"ID3" + b"\0" * 100)
    assert answer.status_code == 403 and not _stored(ticket["key"])


@pytest.mark.parametrize(("size", "code"), [(50_001, "EntityTooLarge"), (0, "EntityTooSmall")])
def test_sizes_outside_the_keys_limit_are_refused(api: httpx.Client, size: int, code: str) -> None:
    ticket = _ticket(api)
    answer = _post(ticket, ticket["fields"], b"\0" * size)
    assert answer.status_code == 400 and code in answer.text
    assert not _stored(ticket["key"])


def test_the_form_as_issued_still_uploads(api: httpx.Client, speech_mp3: Path) -> None:
    ticket = _ticket(api, "meeting.mp3")
    data = speech_mp3.read_bytes()[:50_000]
    answer = httpx.post(ticket["url"], data=ticket["fields"], files={"file": ("meeting.mp3", data)}, timeout=30)
    assert answer.status_code in (200, 201, 204), answer.text
    assert _stored(ticket["key"])
