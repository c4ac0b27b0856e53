"""ytcaption.client.errors: problem+json answers become typed errors."""

from __future__ import annotations

import httpx
import pytest

from ytcaption.api.problems import problem_body
from ytcaption.client.errors import ApiError, Conflict, NotFound, Unauthorized, ValidationFailed, error_for


def _answer(status: int, body: object, content_type: str = "application/problem+json") -> httpx.Response:
    return httpx.Response(status, json=body, headers={"content-type": content_type})


def test_a_422_carries_its_code_detail_and_field_errors() -> None:
    errors = [{"field": "body.language", "message": "unknown language", "type": "value_error"}]
    error = error_for(_answer(422, problem_body(422, "validation-error", "The request is not valid.", errors=errors)))
    assert isinstance(error, ValidationFailed)
    assert error.status == 422 and error.code == "validation-error" and error.detail == "The request is not valid."
    assert [e.field for e in error.errors] == ["body.language"]


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [(401, "unauthorized", Unauthorized), (404, "not-found", NotFound), (409, "job-already-ended", Conflict)],
)
def test_each_status_has_its_class(status: int, code: str, kind: type[ApiError]) -> None:
    error = error_for(_answer(status, problem_body(status, code, "no")))
    assert type(error) is kind and error.code == code and error.errors == []


def test_an_answer_without_problem_details_still_becomes_an_error() -> None:
    # API Gateway answers some errors itself, as {"message": ...}; a proxy may answer HTML.
    gateway = error_for(_answer(403, {"message": "Forbidden"}, "application/json"))
    assert gateway.status == 403 and gateway.detail == "Forbidden" and gateway.code == "forbidden"
    html = error_for(httpx.Response(502, text="<html>Bad gateway</html>"))
    assert type(html) is ApiError and html.status == 502 and "Bad gateway" in html.detail
