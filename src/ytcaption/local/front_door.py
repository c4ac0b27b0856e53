"""What every request to the local emulator passes before moto sees it.

moto trusts every caller. The local runtime is shared (browsers upload to it; teammates and
tenants may reach its port), so its emulator admits only:

- requests signed (Signature Version 4, header or presigned URL) with the runtime's own
  credentials, which it made at `local up` and gives only to its own processes (ytcaption.local.sigv4);
- form uploads (an unsigned multipart POST to a bucket) that carry a policy signed with those
  credentials and keep to it (ytcaption.local.post_policy), whatever the case of their Content-Type;
- CORS preflights (OPTIONS), which S3 answers from the bucket's CORS rules. moto leaves CORS headers
  off a form upload's answer; the front door adds them where the bucket's rules allow the page's origin.

Everything else (unsigned reads and listings, moto's own /moto-api, the outbox without the runtime's
secret) is refused with S3's XML error, and an HTML error page from moto becomes an XML InternalError.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Iterable
from typing import Any
from uuid import uuid4
from xml.sax.saxutils import escape

from ytcaption.local import post_policy, sigv4
from ytcaption.local.outbox import OUTBOX_PATH
from ytcaption.local.sigv4 import Credentials, Failure

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# The header that carries the runtime's secret to the outbox (a page of ours, not an AWS API).
SECRET_HEADER = "X-Ytc-Local-Secret"
_REASONS = {400: "Bad Request", 403: "Forbidden", 405: "Method Not Allowed", 411: "Length Required"}


def error_xml(failure: Failure, request_id: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(failure.code)}</Code><Message>{escape(failure.message)}</Message>"
        f"<RequestId>{escape(request_id)}</RequestId></Error>"
    ).encode()


def is_form_upload(environ: dict[str, Any]) -> bool:
    content_type = str(environ.get("CONTENT_TYPE", "")).strip().lower()
    return environ.get("REQUEST_METHOD") == "POST" and content_type.startswith("multipart/form-data")


class FrontDoor:
    def __init__(
        self, app: WsgiApp, credentials: Credentials, cors_allows: Callable[[str, str, str], bool] | None = None
    ) -> None:
        self.app = app
        self.credentials = credentials
        # (bucket, origin, method) -> whether the bucket's CORS rules allow it (the emulator: moto's rules).
        self.cors_allows = cors_allows or bucket_cors_allows

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request_id = uuid4().hex.upper()[:16]
        origin = str(environ.get("HTTP_ORIGIN", ""))
        if origin and is_form_upload(environ) and not sigv4.is_signed(environ):
            # A page's upload: its answer (taken or refused) is readable by a page the bucket allows.
            bucket = str(environ.get("PATH_INFO", "")).strip("/").split("/")[0]
            if self.cors_allows(bucket, origin, "POST"):
                start_response = _with_headers(start_response, [("Access-Control-Allow-Origin", origin)])
        try:
            failure = self.refusal(environ)
        except Exception:  # an unreadable request is refused, never answered with a trace
            log.exception("refusing a request that could not be read")
            failure = Failure("InternalError", "We encountered an internal error. Please try again.", 500)
        if failure is not None:
            return self._answer(failure, request_id, start_response)
        return self._without_html_errors(environ, start_response, request_id)

    def refusal(self, environ: dict[str, Any]) -> Failure | None:
        method = environ.get("REQUEST_METHOD", "GET")
        path = str(environ.get("PATH_INFO", ""))
        if method == "OPTIONS":
            return None
        if path.startswith("/moto-api"):
            return Failure("AccessDenied", "The emulator's own API is closed.")
        if path == OUTBOX_PATH:
            given = str(environ.get("HTTP_" + SECRET_HEADER.upper().replace("-", "_"), ""))
            if hmac.compare_digest(given.encode(), self.credentials.secret_access_key.encode()):
                return None
            return Failure("AccessDenied", f"The outbox needs the runtime's secret in {SECRET_HEADER}.")
        body = _body(environ)
        if sigv4.is_signed(environ):
            return sigv4.verify(environ, body, self.credentials)
        if is_form_upload(environ):
            return post_policy.check_form(environ, body, self.credentials)
        return Failure(
            "AccessDenied",
            "Anonymous access is forbidden: sign the request with the runtime's credentials or use a presigned URL.",
        )

    def _answer(self, failure: Failure, request_id: str, start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = error_xml(failure, request_id)
        reason = _REASONS.get(failure.status, "Error")
        start_response(
            f"{failure.status} {reason}",
            [("Content-Type", "application/xml"), ("Content-Length", str(len(body))), ("x-amz-request-id", request_id)],
        )
        return [body]

    def _without_html_errors(
        self, environ: dict[str, Any], start_response: Callable[..., Any], request_id: str
    ) -> Iterable[bytes]:
        """moto's app, except that an HTML 500 page (moto failing on a request it does not expect)
        becomes S3's XML InternalError."""
        held: dict[str, Any] = {}

        def holding(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
            held.update(status=status, headers=headers, exc_info=exc_info)
            return lambda _data: None

        body = self.app(environ, holding)
        if "status" not in held:  # an app that answers only once its body is read
            body = list(body)
        content_type = next((v for k, v in held.get("headers", []) if k.lower() == "content-type"), "")
        if str(held.get("status", "")).startswith("500") and "html" in content_type.lower():
            close = getattr(body, "close", None)
            if close:
                close()
            log.warning("the emulator failed on %s %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
            failure = Failure("InternalError", "We encountered an internal error. Please try again.", 500)
            return self._answer(failure, request_id, start_response)
        start_response(held["status"], held["headers"], held.get("exc_info"))
        return body


def _with_headers(start_response: Callable[..., Any], extra: list[tuple[str, str]]) -> Callable[..., Any]:
    def adding(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        present = {name.lower() for name, _ in headers}
        headers = [*headers, *((k, v) for k, v in extra if k.lower() not in present), ("Vary", "Origin")]
        return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

    return adding


def bucket_cors_allows(bucket: str, origin: str, method: str) -> bool:
    """Whether the emulator's bucket has a CORS rule for this origin and method (moto's stored rules)."""
    from moto.s3.models import s3_backends
    from moto.s3.utils import cors_matches_origin

    for partitions in list(s3_backends.values()):
        for backend in list(partitions.values()):
            found = backend.buckets.get(bucket)
            if found is None:
                continue
            return any(
                method in (rule.allowed_methods or []) and cors_matches_origin(origin, rule.allowed_origins or [])
                for rule in found.cors
            )
    return False


def _body(environ: dict[str, Any]) -> bytes:
    """The request's body, read once; the app downstream reads the same bytes."""
    import io

    length = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    body = stream.read(length) if length else (stream.read() if environ.get("wsgi.input_terminated") else b"")
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return bytes(body)
