"""The app over HTTP with its dependencies swapped (app.dependency_overrides): problem
details, validation paths, the 500 catch-all, links under a root path, and the
committed OpenAPI document."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import paths
from ytcaption.api.app import create_app
from ytcaption.api.deps import get_admin, get_caller, get_service
from ytcaption.api.problems import ApiProblem
from ytcaption.domain.job import Job
from ytcaption.domain.options import JobOptions
from ytcaption.store.apikeys import ApiKey


def test_committed_openapi_document_is_the_apps() -> None:
    """Regenerate with: .venv/bin/python -m ytcaption.api.app openapi.json"""
    committed = json.loads(paths.OPENAPI_PATH.read_text())
    assert committed == json.loads(json.dumps(create_app().openapi()))


class _Keys:
    def authenticate(self, key: str | None) -> ApiKey:
        if key != "ytc_good":
            raise ApiProblem(401, "unauthorized", "no")
        return ApiKey(key_id="k", tenant="acme")

    def require_admin(self, caller: ApiKey) -> ApiKey:
        raise ApiProblem(403, "forbidden", "operators only")

    def visible_job(self, caller: ApiKey, job_id: str) -> Job:
        raise RuntimeError("boom: secret detail")


@pytest.fixture
def app_client() -> TestClient:
    app = create_app()
    app.dependency_overrides[get_service] = _Keys
    return TestClient(app, raise_server_exceptions=False)


def test_validation_errors_carry_field_paths(app_client: TestClient) -> None:
    answer = app_client.post(
        "/v1/transcriptions",
        json={"source": {"url": "nope", "upload_id": "x"}, "extra": 1},
        headers={"X-Api-Key": "ytc_good"},
    )
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in answer.json()["errors"]}
    assert fields == {"body.source.url", "body.source.upload_id", "body.extra"}


def test_unexpected_errors_are_a_500_problem_without_a_trace(app_client: TestClient) -> None:
    answer = app_client.get("/v1/transcriptions/job-1", headers={"X-Api-Key": "ytc_good"})
    assert answer.status_code == 500 and answer.json()["code"] == "internal-error"
    assert "boom" not in answer.text and "Traceback" not in answer.text
    assert app_client.get("/v1/transcriptions/job-1").json()["code"] == "unauthorized"


def test_admin_routes_go_through_the_admin_dependency(app_client: TestClient) -> None:
    answer = app_client.get("/v1/admin/stats", headers={"X-Api-Key": "ytc_good"})
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"
    assert answer.json()["instance"] == "/v1/admin/stats"


def test_unknown_routes_are_404_problems(app_client: TestClient) -> None:
    answer = app_client.get("/v2/nothing")
    assert answer.status_code == 404 and answer.json()["code"] == "not-found"
    assert answer.headers["content-type"] == "application/problem+json"


_JOB = Job(
    job_id="job-1",
    tenant="acme",
    status="COMPLETED",  # type: ignore[arg-type]
    progress=100,
    source={"type": "url", "url": "https://youtu.be/x"},
    options=JobOptions(),
    created_at="2026-01-01T00:00:00.000Z",
)


class _Jobs:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def list_jobs(self, caller: ApiKey, status: str | None, limit: int, cursor: str | None) -> tuple[list[Job], str]:
        self.calls.append((caller.tenant, status, limit, cursor))
        return [_JOB], "next"

    def admin_stats(self) -> dict[str, Any]:
        return {"jobs_by_status": {}, "audio_hours_processed": 0, "queue": {}, "oldest_queued_job_seconds": 0}


def test_any_dependency_can_be_swapped_and_links_follow_the_root_path() -> None:
    jobs = _Jobs()
    app = create_app()
    app.dependency_overrides[get_service] = lambda: jobs
    app.dependency_overrides[get_caller] = lambda: ApiKey(key_id="k", tenant="globex")
    app.dependency_overrides[get_admin] = lambda: ApiKey(key_id="k", tenant="ops")
    with TestClient(app, root_path="/prod") as api:
        page = api.get("/v1/transcriptions", params={"status": "COMPLETED", "limit": 5})
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["next_cursor"] == "next" and body["items"][0]["links"]["self"] == "/prod/v1/transcriptions/job-1"
        assert jobs.calls == [("globex", "COMPLETED", 5, None)]
        assert api.get("/v1/admin/stats").status_code == 200
