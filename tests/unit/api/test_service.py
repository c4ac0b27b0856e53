"""The API service without AWS: a source's identity, the result cache's key, request
fingerprints, idempotent ids, API key hashing, and upload registrations (over fakes)."""

from __future__ import annotations

from typing import Any

import pytest

from ytcaption.api.schemas import TranscriptionRequest, UploadRequest
from ytcaption.api.service import ApiService, cache_key, fingerprint
from ytcaption.domain.ids import idempotent_job_id
from ytcaption.domain.options import JobOptions
from ytcaption.domain.sites import source_identity
from ytcaption.intake.urlpolicy import webhook_policy
from ytcaption.settings import Settings
from ytcaption.store.apikeys import ApiKey, key_hash, new_key, valid_tenant


@pytest.mark.parametrize(
    ("url", "identity"),
    [
        ("https://www.youtube.com/watch?v=abc123&t=42", "youtube:abc123"),
        ("https://youtu.be/abc123?si=share", "youtube:abc123"),
        ("https://m.youtube.com/shorts/abc123", "youtube:abc123"),
        ("https://www.youtube-nocookie.com/embed/abc123", "youtube:abc123"),
        ("HTTP://Example.COM/a.mp3#frag", "http://example.com/a.mp3"),
        ("http://127.0.0.1:8080/a.mp3?x=1", "http://127.0.0.1:8080/a.mp3?x=1"),
    ],
)
def test_source_identity(url: str, identity: str) -> None:
    assert source_identity(url) == identity


def test_cache_key_ignores_priority_and_webhook_but_not_the_transcript_options() -> None:
    base = JobOptions(model="base")
    same = JobOptions(model="base", priority="high", webhook_url="https://hooks.example.com/x")
    assert cache_key("t", "youtube:a", base) == cache_key("t", "youtube:a", same)
    assert cache_key("t", "youtube:a", base) != cache_key("t", "youtube:a", JobOptions(model="base", vad=False))
    assert cache_key("t", "youtube:a", base) != cache_key("u", "youtube:a", base)


def test_keys_are_random_and_hashed() -> None:
    a, b = new_key(), new_key()
    assert a != b and a.startswith("ytc_") and len(a) >= 40
    assert key_hash(a) != key_hash(b) and len(key_hash(a)) == 64
    assert key_hash(a, "pepper") != key_hash(a) and key_hash(a, "pepper") == key_hash(a, "pepper")
    assert valid_tenant("acme-co_2") and not valid_tenant("Acme") and not valid_tenant("a/b") and not valid_tenant("")


def test_idempotency_and_fingerprints() -> None:
    assert idempotent_job_id("a", "k") == idempotent_job_id("a", "k") != idempotent_job_id("b", "k")
    one = TranscriptionRequest.model_validate({"source": {"url": "https://youtu.be/x"}})
    explicit = TranscriptionRequest.model_validate({"source": {"url": "https://youtu.be/x"}, "vad": True})
    other = TranscriptionRequest.model_validate({"source": {"url": "https://youtu.be/x"}, "vad": False})
    assert fingerprint(one) == fingerprint(explicit) != fingerprint(other)


class _UploadStore:
    def __init__(self) -> None:
        self.uploads: list[dict[str, Any]] = []

    def put_upload(self, upload_id: str, tenant: str, options: JobOptions, **extra: Any) -> None:
        self.uploads.append({"upload_id": upload_id, "tenant": tenant, "options": options, **extra})


class _Media:
    def presigned_post(
        self, key: str, max_bytes: int, content_type: str | None, expires_in: int
    ) -> tuple[str, dict[str, str]]:
        return "https://s3.example.com/b", {"key": key, "max": str(max_bytes)}


def test_an_upload_remembers_the_size_its_key_may_upload() -> None:
    """Intake checks an arrived file against the registration's max_bytes: it must be the key's limit."""
    service = ApiService.__new__(ApiService)
    service.settings = Settings(tenant_max_upload_bytes=1000, default_model="base")
    service.store = _UploadStore()  # type: ignore[assignment]
    service.media = _Media()  # type: ignore[assignment]
    service.webhook_policy = webhook_policy(False)
    caller = ApiKey(key_id="k", tenant="acme", limits={"max_upload_bytes": 5000})
    ticket = service.create_upload(caller, UploadRequest(filename="talk.mp4", size_bytes=3000), "")
    assert ticket.max_bytes == 5000 and ticket.fields["max"] == "5000"
    [upload] = service.store.uploads  # type: ignore[attr-defined]
    assert upload["tenant"] == "acme" and upload["max_bytes"] == 5000 and upload["options"].model == "base"
