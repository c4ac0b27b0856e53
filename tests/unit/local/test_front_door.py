"""The emulator's front door (ytcaption.local.front_door) in front of a stand-in app: what it lets
through, what it refuses, and that an HTML error page never leaves it."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from ytcaption.local.front_door import SECRET_HEADER, FrontDoor
from ytcaption.local.sigv4 import Credentials

RUNTIME = Credentials("local", "f" * 40)


def _html_500(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("500 INTERNAL SERVER ERROR", [("Content-Type", "text/html; charset=utf-8")])
    return [b"<!doctype html><title>KeyError: 'DEFAULT'</title>"]


def _ok(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b"[]"]


def _call(
    app: Any, method: str, path: str, query: str = "", headers: dict[str, str] | None = None
) -> tuple[str, bytes]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "RAW_URI": path,
        "wsgi.input": io.BytesIO(b""), "CONTENT_LENGTH": "0", "HTTP_HOST": "127.0.0.1:4566",
        **(headers or {}),
    }  # fmt: skip
    answered: list[str] = []
    body = b"".join(app(environ, lambda status, _headers, *_: answered.append(status)))
    return answered[0], body


def test_an_html_error_page_becomes_s3s_xml_error() -> None:
    from tests.unit.local.test_sigv4 import _s3

    link = _s3(RUNTIME.secret_access_key).generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    path, _, query = link.partition("127.0.0.1:4566")[2].partition("?")
    status, body = _call(FrontDoor(_html_500, RUNTIME), "GET", path, query)
    assert status.startswith("500") and b"<Code>InternalError</Code>" in body and b"html" not in body


def test_unsigned_requests_moto_api_and_the_outbox_are_refused() -> None:
    door = FrontDoor(_ok, RUNTIME)
    for method, path in [("GET", "/b"), ("DELETE", "/b/k"), ("POST", "/moto-api/reset"), ("GET", "/_ytcaption/outbox")]:
        status, body = _call(door, method, path)
        assert status.startswith("403") and b"<Code>AccessDenied</Code>" in body, (method, path)


def test_preflights_and_the_outbox_with_the_secret_pass() -> None:
    door = FrontDoor(_ok, RUNTIME)
    assert _call(door, "OPTIONS", "/b")[0].startswith("200")
    secret = {"HTTP_" + SECRET_HEADER.upper().replace("-", "_"): RUNTIME.secret_access_key}
    assert _call(door, "GET", "/_ytcaption/outbox", headers=secret)[0].startswith("200")
