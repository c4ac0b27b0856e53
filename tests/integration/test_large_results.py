"""Large results: a result is proxied through the API (and its Lambda) only while its encoded body stays
well under Lambda's 6 MB response cap; a larger one is a presigned S3 link (a 303, or with
`redirect=false` the link as JSON for a page), which works without the key."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from tests.support.api import client, new_key, proxy_event
from tests.support.results import completed_job, transcript_json, transcript_srt
from ytcaption import resources
from ytcaption.api.payload import LAMBDA_RESPONSE_BYTES, PROXIED_BODY_BYTES
from ytcaption.api.schemas import RESULT_LINK_TYPE
from ytcaption.store import aws

pytestmark = pytest.mark.integration

TENANT = "large-results"


@pytest.fixture(scope="module")
def api(runtime: Any) -> Any:
    with client(str(runtime.api_url), new_key(TENANT)) as http:
        yield http


def _through_lambda(path: str, query: dict[str, str], key: str) -> tuple[dict[str, Any], int]:
    """The `api` Lambda's answer to a proxy event, and the size of its response payload in bytes."""
    event = proxy_event("GET", path, query=query, headers={"X-Api-Key": key}, public_root="")
    answer = aws.client("lambda").invoke(
        FunctionName=resources.lambda_spec("api").function_name, Payload=json.dumps(event).encode()
    )
    raw = answer["Payload"].read()
    assert "FunctionError" not in answer, raw[:500]
    return json.loads(raw), len(raw)


def test_results_over_the_proxied_size_are_links_that_need_no_key(api: httpx.Client) -> None:
    srt = transcript_srt(1950)  # 3.2 MB: base64 (Mangum's encoding of application/x-subrip) 4.3 MB
    wide = transcript_json(800)  # 2.4 MB of UTF-8 that JSON escapes to 4.9 MB
    txt = (("a" * 99 + "\n") * 39_000).encode()  # 3.9 MB of ASCII text: proxied as is
    assert len(srt) < PROXIED_BODY_BYTES and len(wide) < PROXIED_BODY_BYTES
    job_id = completed_job(TENANT, {"srt": srt, "json": wide, "txt": txt})
    path = f"/v1/transcriptions/{job_id}/result"

    for fmt, body in (("srt", srt), ("json", wide)):
        moved = api.get(path, params={"format": fmt})
        assert moved.status_code == 303, (fmt, moved.status_code)
        location = moved.headers["location"]
        assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in location and resources.BUCKET in location
        stored = httpx.get(location)  # no key: the link itself is the authorization
        assert stored.status_code == 200 and stored.content == body

        # For a page: the link as JSON (a fetch cannot read a redirect's Location).
        linked = api.get(path, params={"format": fmt, "redirect": "false"})
        assert linked.status_code == 200 and linked.headers["content-type"] == RESULT_LINK_TYPE
        link = linked.json()
        assert set(link) == {"url", "expires_at"} and httpx.get(link["url"]).content == body

    inline = api.get(path, params={"format": "txt", "redirect": "false"})
    assert inline.status_code == 200 and inline.headers["content-type"].startswith("text/plain")
    assert inline.content == txt


def test_what_the_lambda_proxies_stays_well_under_its_6_mb_cap(api: httpx.Client) -> None:
    key = api.headers["X-Api-Key"]
    srt = transcript_srt(1650)  # 2.7 MB: base64 3.6 MB, under the proxied size
    wide = transcript_json(800)
    txt = (("a" * 99 + "\n") * 39_000).encode()
    job_id = completed_job(TENANT, {"srt": srt, "json": wide, "txt": txt})
    path = f"/v1/transcriptions/{job_id}/result"

    for fmt, body in (("srt", srt), ("txt", txt)):
        answer, size = _through_lambda(path, {"format": fmt}, key)
        assert answer["statusCode"] == 200, (fmt, answer["statusCode"])
        got = base64.b64decode(answer["body"]) if answer.get("isBase64Encoded") else answer["body"].encode()
        assert got == body
        assert size < PROXIED_BODY_BYTES + 100_000 < LAMBDA_RESPONSE_BYTES, (fmt, size)
    answer, size = _through_lambda(path, {"format": "json"}, key)
    assert answer["statusCode"] == 303 and size < 10_000
    assert answer["headers"]["location"].startswith(("http://", "https://"))
