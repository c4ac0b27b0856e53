"""Models are a deployment fact: a request naming a model no worker serves is refused at intake
(422 over the API; an upload's job fails at once), and GET /v1/models says what is served."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support.api import new_key
from ytcaption import resources
from ytcaption.api.app import create_app
from ytcaption.domain.ids import upload_job_id
from ytcaption.domain.job import JobStatus
from ytcaption.domain.options import JobOptions
from ytcaption.intake.uploads import start_upload_job
from ytcaption.settings import Settings, get_settings
from ytcaption.store.jobs import JobStore

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def serving_base(runtime: object) -> Any:
    """The API as a deployment whose workers hold only `base` (its settings, the runtime's AWS)."""
    settings = get_settings().model_copy(update={"default_model": "base", "served_models": "base"})
    with TestClient(create_app(settings)) as client:
        client.headers["X-Api-Key"] = new_key("models")
        yield client


def test_the_models_route_names_what_is_served(serving_base: TestClient, base_url: str) -> None:
    assert serving_base.get("/v1/models").json() == {"default": "base", "served": ["base"]}
    with httpx.Client(base_url=base_url, headers={"X-Api-Key": new_key("models-any")}) as local:
        assert local.get("/v1/models").json() == {"default": "tiny.en", "served": None}, "local: any loadable"


@pytest.mark.parametrize("route", ["/v1/transcriptions", "/v1/uploads"])
def test_a_request_for_an_unserved_model_is_refused(serving_base: TestClient, route: str) -> None:
    body = (
        {"source": {"url": "http://127.0.0.1:9/a.mp3"}} if route.endswith("transcriptions") else {"filename": "a.mp3"}
    )
    answer = serving_base.post(route, json={**body, "model": "tiny.en"})
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["code"] == "model-not-served" and "base" in problem["detail"]
    assert problem["errors"][0]["field"] == "body.model"


def test_an_upload_for_an_unserved_model_fails_at_once(runtime: object) -> None:
    """The upload was registered (before a redeploy, say) for a model the workers no longer serve."""
    settings = Settings(**{**get_settings().model_dump(), "default_model": "base", "served_models": "base"})
    store = JobStore(resources.TABLE)
    upload_id = uuid.uuid4().hex
    store.put_upload(upload_id, "tests", JobOptions(model="tiny.en"))
    key = f"uploads/tests/{upload_id}/talk.mp3"
    # The upload event as intake gets it, for a file not stored here: a stored one would also reach the
    # runtime's own intake (whose workers serve tiny.en), which could start the job first.
    etag = f'"{hashlib.md5(b"bytes").hexdigest()}"'
    job_id = start_upload_job(resources.BUCKET, key, etag, settings, store, size=5)
    assert job_id == upload_job_id(resources.BUCKET, key, etag)
    job = store.get(job_id)
    assert job is not None and job.status == JobStatus.FAILED and job.error_code == "MODEL_UNAVAILABLE"
    assert "tiny.en" in (job.error_reason or "")
