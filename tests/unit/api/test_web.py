"""The web page as the app serves it (GET / and /app/...), without shadowing the API or
entering its OpenAPI document, and CORS for pages served from other origins."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests import paths
from ytcaption.api.app import create_app
from ytcaption.api.deps import get_caller, get_service
from ytcaption.api.problems import ApiProblem
from ytcaption.settings import Settings
from ytcaption.store.apikeys import ApiKey

ALLOWED = "https://captions.example.com"


class _Service:
    def authenticate(self, key: str | None) -> ApiKey:
        if key != "ytc_good":
            raise ApiProblem(401, "unauthorized", "The API key is not valid.")
        return ApiKey(key_id="k", tenant="acme")

    def list_jobs(
        self, caller: ApiKey, status: str | None, limit: int, cursor: str | None
    ) -> tuple[list[object], None]:
        return [], None

    def audio(self, caller: ApiKey, job_id: str) -> str:
        if job_id == "captions":
            raise ApiProblem(404, "not-found", "There is no audio for transcription captions.")
        return f"https://bucket.s3.amazonaws.com/audio/{job_id}/audio.m4a?X-Amz-Signature=abc"

    def audio_ticket(self, caller: ApiKey, job_id: str) -> tuple[str, int]:
        self.audio(caller, job_id)
        return f"token-of-{job_id}-0123456789", 1_900_000_000


def _client(**settings: str) -> TestClient:
    app = create_app(Settings(**settings))  # type: ignore[arg-type]
    app.dependency_overrides[get_service] = _Service
    return TestClient(app, raise_server_exceptions=False)


def test_the_page_and_its_assets_are_served_without_a_key() -> None:
    api = _client()
    page = api.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert 'src="app/main.js"' in page.text and "http" not in page.text.split("<body>")[0], "no third-party assets"
    modules = ("main.js", "api.js", "dom.js", "speakers.js", "batches.js", "live.js")
    for asset, media_type in (*((m, "text/javascript") for m in modules), ("style.css", "text/css")):
        answer = api.get(f"/app/{asset}")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(media_type), asset
    assert api.get("/app/nothing.js").json()["code"] == "not-found"


def test_the_page_links_from_the_apps_root_path() -> None:
    """Behind API Gateway the page is /prod (or /prod/): its assets and API calls stay under the stage."""
    app = create_app(Settings())
    with TestClient(app, root_path="/prod") as api:
        assert '<base href="/prod/">' in api.get("/").text
    assert '<base href="/">' in _client().get("/").text


def test_the_page_is_told_the_live_updates_address_when_it_has_its_own() -> None:
    """AWS: the WebSocket API has its own address (YTC_PUBLIC_LIVE_URL, set by the stack)."""
    live = "wss://abc.execute-api.eu-west-1.amazonaws.com/live"
    named = _client(public_live_url=f"{live}?x=<1>").get("/").text
    assert f'<meta name="ytc-live-url" content="{live}?x=&lt;1&gt;">' in named
    assert "ytc-live-url" not in _client().get("/").text


def test_the_page_shadows_no_route_and_stays_out_of_the_openapi_document() -> None:
    api = _client()
    assert api.get("/v1/transcriptions").json()["code"] == "unauthorized"
    assert api.get("/v1/transcriptions", headers={"X-Api-Key": "ytc_good"}).json() == {"items": [], "next_cursor": None}
    unknown = api.get("/v2/nothing")
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
    assert api.post("/").status_code == 405
    assert api.get("/docs").status_code == 200
    document = api.get("/openapi.json").json()
    assert not [p for p in document["paths"] if p == "/" or p.startswith("/app")]
    assert document == json.loads(paths.OPENAPI_PATH.read_text())


def test_audio_is_a_redirect_or_the_link_itself() -> None:
    api = _client()
    api.app.dependency_overrides[get_caller] = lambda: ApiKey(key_id="k", tenant="acme")  # type: ignore[attr-defined]
    moved = api.get("/v1/transcriptions/job-1/audio", follow_redirects=False)
    assert moved.status_code == 307 and moved.headers["location"].endswith("/audio/job-1/audio.m4a?X-Amz-Signature=abc")
    link = api.get("/v1/transcriptions/job-1/audio", params={"redirect": "false"})
    assert link.status_code == 200
    # A link of ours (absolute: a page hosted elsewhere loads it as is), not the presigned one.
    assert link.json() == {"url": "http://testserver/audio/token-of-job-1-0123456789",
                           "expires_at": "2030-03-17T17:46:40.000Z"}  # fmt: skip
    missing = api.get("/v1/transcriptions/captions/audio")
    assert missing.status_code == 404 and missing.json()["code"] == "not-found"


def _preflight(api: TestClient, origin: str) -> dict[str, str]:
    answer = api.options(
        "/v1/transcriptions",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key, content-type, idempotency-key",
        },
    )
    return {k.lower(): v for k, v in answer.headers.items()}


def test_cors_answers_only_the_allowed_origins() -> None:
    api = _client(cors_origins=f"{ALLOWED}/, https://other-allowed.example.org")
    allowed = _preflight(api, ALLOWED)
    assert allowed["access-control-allow-origin"] == ALLOWED
    assert {m.strip() for m in allowed["access-control-allow-methods"].split(",")} == {"GET", "POST", "PATCH", "DELETE"}
    assert {h.strip().lower() for h in allowed["access-control-allow-headers"].split(",")} >= {
        "x-api-key", "content-type", "idempotency-key"
    }  # fmt: skip
    simple = api.get("/v1/transcriptions", headers={"Origin": ALLOWED, "X-Api-Key": "ytc_good"})
    assert simple.headers["access-control-allow-origin"] == ALLOWED

    assert "access-control-allow-origin" not in _preflight(api, "https://evil.example.net")
    other = api.get("/v1/transcriptions", headers={"Origin": "https://evil.example.net", "X-Api-Key": "ytc_good"})
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize("origins", ["", " , "])
def test_no_cors_by_default_the_page_is_same_origin(origins: str) -> None:
    api = _client(cors_origins=origins)
    assert "access-control-allow-origin" not in _preflight(api, ALLOWED)
    answer = api.get("/v1/transcriptions", headers={"Origin": ALLOWED, "X-Api-Key": "ytc_good"})
    assert "access-control-allow-origin" not in answer.headers
