"""The local runtime's S3 is as strict as S3, probed as a hostile tenant would: raw multipart bodies
and URLs written by hand, each refused with S3's XML error, nothing stored and no job created."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import httpx
import pytest
from botocore.config import Config

from tests.support.api import client, new_key, wait_for
from tests.support.raw_http import multipart, send
from ytcaption import resources
from ytcaption.store import aws

pytestmark = pytest.mark.integration

VICTIM_RESULT = "results/job-victim/transcript.txt"
VICTIM_WORDS = b"the victim's own words"


@pytest.fixture(scope="module")
def attacker(base_url: str) -> Any:
    with client(base_url, new_key("edges-attacker", max_upload_bytes=2_000_000)) as keyed:
        yield keyed


@pytest.fixture(scope="module")
def victim(base_url: str) -> Any:
    with client(base_url, new_key("edges-victim")) as keyed:
        aws.client("s3").put_object(Bucket=resources.BUCKET, Key=VICTIM_RESULT, Body=VICTIM_WORDS)
        yield keyed


def _ticket(api: httpx.Client, name: str = "talk.mp3") -> dict[str, Any]:
    answer = api.post("/v1/uploads", json={"filename": name})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _stored(prefix: str) -> list[str]:
    listing = aws.client("s3").list_objects_v2(Bucket=resources.BUCKET, Prefix=prefix)
    return [str(o["Key"]) for o in listing.get("Contents", [])]


def _form(
    fields: list[tuple[str, str]], data: bytes = b"ID3" + b"\0" * 200
) -> list[tuple[str, bytes | str, str | None]]:
    return [*((name, value, None) for name, value in fields), ("file", data, "talk.mp3")]


def _bucket_url(runtime: Any) -> str:
    return f"{runtime.endpoint}/{resources.BUCKET}"


def _no_jobs(api: httpx.Client) -> None:
    assert api.get("/v1/transcriptions").json()["items"] == []


def _victim_intact() -> None:
    body = aws.client("s3").get_object(Bucket=resources.BUCKET, Key=VICTIM_RESULT)["Body"].read()
    assert body == VICTIM_WORDS


def _is_s3_error(answer: Any, status: int, code: str) -> None:
    assert answer.status == status, answer.text
    assert answer.headers["content-type"] == "application/xml"
    assert f"<Code>{code}</Code>" in answer.text and "<html" not in answer.text.lower()


# -- form uploads --------------------------------------------------------------------------------


def test_a_key_smuggled_in_another_case_is_refused(runtime: Any, attacker: httpx.Client, victim: httpx.Client) -> None:
    """`key` = another tenant's result first, the ticket's own `Key` last: S3 reads names in any case,
    so that is one field given twice."""
    ticket = _ticket(attacker)
    fields = [("key", VICTIM_RESULT)] + [(k.capitalize() if k == "key" else k, v) for k, v in ticket["fields"].items()]
    body = multipart(_form(fields))
    answer = send("POST", _bucket_url(runtime), body, [("Content-Type", "multipart/form-data; boundary=xYzBoundary")])
    _is_s3_error(answer, 400, "InvalidArgument")
    _victim_intact()
    assert _stored(ticket["key"]) == []
    _no_jobs(victim)


def test_a_form_without_a_policy_is_refused_whatever_its_content_types_case(
    runtime: Any, attacker: httpx.Client, victim: httpx.Client
) -> None:
    target = "uploads/edges-victim/0123456789abcdef0123456789abcdef/talk.mp3"
    for content_type in ("Multipart/Form-Data; boundary=xYzBoundary", "MULTIPART/FORM-DATA; boundary=xYzBoundary"):
        answer = send(
            "POST", _bucket_url(runtime), multipart(_form([("key", target)])), [("Content-Type", content_type)]
        )
        _is_s3_error(answer, 403, "AccessDenied")
    assert _stored("uploads/edges-victim/") == []
    _no_jobs(victim)


def test_a_policy_signed_with_the_printed_dummy_secret_is_refused(runtime: Any, victim: httpx.Client) -> None:
    target = "uploads/edges-victim/0123456789abcdef0123456789abcdef/talk.mp3"
    dummy = boto3.client(
        "s3", endpoint_url=runtime.endpoint, region_name="us-east-1", aws_access_key_id="local",
        aws_secret_access_key="local", config=Config(signature_version="s3v4"),
    )  # fmt: skip
    post = dummy.generate_presigned_post(Bucket=resources.BUCKET, Key=target)
    body = multipart(_form(list(post["fields"].items())))
    answer = send("POST", _bucket_url(runtime), body, [("Content-Type", "multipart/form-data; boundary=xYzBoundary")])
    _is_s3_error(answer, 403, "AccessDenied")
    assert _stored("uploads/edges-victim/") == []
    _no_jobs(victim)


def test_a_form_with_two_files_or_a_changed_content_type_is_refused(runtime: Any, attacker: httpx.Client) -> None:
    ticket = _ticket(attacker)
    headers = [("Content-Type", "multipart/form-data; boundary=xYzBoundary")]
    two_files = multipart([*_form(list(ticket["fields"].items())), ("File", b"<html>", "x.html")])
    _is_s3_error(send("POST", _bucket_url(runtime), two_files, headers), 400, "InvalidArgument")
    as_html = {**ticket["fields"], "Content-Type": "text/html"}
    _is_s3_error(
        send("POST", _bucket_url(runtime), multipart(_form(list(as_html.items()))), headers), 403, "AccessDenied"
    )
    assert _stored(ticket["key"]) == []


def test_a_form_posted_to_a_key_is_an_xml_error_not_an_html_500(runtime: Any, attacker: httpx.Client) -> None:
    ticket = _ticket(attacker)
    url = f"{_bucket_url(runtime)}/{ticket['key']}"
    body = multipart(_form(list(ticket["fields"].items())))
    answer = send("POST", url, body, [("Content-Type", "multipart/form-data; boundary=xYzBoundary")])
    _is_s3_error(answer, 405, "MethodNotAllowed")
    assert _stored(ticket["key"]) == []


def test_a_form_with_its_fields_in_any_case_still_uploads_as_s3_takes_it(runtime: Any, attacker: httpx.Client) -> None:
    ticket = _ticket(attacker)
    fields = [(name.upper() if name != "file" else name, value) for name, value in ticket["fields"].items()]
    body = multipart(_form(fields))
    answer = send("POST", _bucket_url(runtime), body, [("Content-Type", "Multipart/Form-Data; boundary=xYzBoundary")])
    assert answer.status == 204, answer.text
    assert _stored(ticket["key"]) == [ticket["key"]]


# -- reads: listings, presigned links, moto's own API, the outbox -------------------------------


def test_unsigned_and_dummy_signed_reads_are_refused(runtime: Any) -> None:
    _is_s3_error(send("GET", f"{_bucket_url(runtime)}?list-type=2"), 403, "AccessDenied")
    _is_s3_error(send("GET", f"{_bucket_url(runtime)}/{VICTIM_RESULT}"), 403, "AccessDenied")
    _is_s3_error(send("GET", f"{runtime.endpoint}/moto-api/data.json"), 403, "AccessDenied")
    _is_s3_error(send("POST", f"{runtime.endpoint}/moto-api/reset"), 403, "AccessDenied")
    _is_s3_error(send("GET", f"{runtime.endpoint}/_ytcaption/outbox"), 403, "AccessDenied")
    dummy = boto3.client(
        "s3", endpoint_url=runtime.endpoint, region_name="us-east-1", aws_access_key_id="local",
        aws_secret_access_key="local", config=Config(signature_version="s3v4"),
    )  # fmt: skip
    listing = dummy.generate_presigned_url("list_objects_v2", Params={"Bucket": resources.BUCKET})
    _is_s3_error(send("GET", listing), 403, "SignatureDoesNotMatch")
    with pytest.raises(Exception, match="SignatureDoesNotMatch"):
        dummy.list_objects_v2(Bucket=resources.BUCKET)
    tables = boto3.client(
        "dynamodb", endpoint_url=runtime.endpoint, region_name="us-east-1", aws_access_key_id="local",
        aws_secret_access_key="local",
    )  # fmt: skip
    with pytest.raises(Exception, match=r"403|SignatureDoesNotMatch"):
        tables.scan(TableName=resources.TABLE)


def test_presigned_links_hold_to_their_object_and_their_expiry(runtime: Any) -> None:
    s3 = aws.client("s3")
    link = s3.generate_presigned_url("get_object", Params={"Bucket": resources.BUCKET, "Key": VICTIM_RESULT})
    assert send("GET", link).status == 200
    swapped = link.replace(VICTIM_RESULT, "uploads/edges-victim/x/talk.mp3")
    _is_s3_error(send("GET", swapped), 403, "SignatureDoesNotMatch")
    short = s3.generate_presigned_url(
        "get_object", Params={"Bucket": resources.BUCKET, "Key": VICTIM_RESULT}, ExpiresIn=1
    )
    time.sleep(2.5)  # past the link's one second (no duration is asserted)
    expired = send("GET", short)
    _is_s3_error(expired, 403, "AccessDenied")
    assert "Request has expired" in expired.text


def test_only_the_pages_origin_may_post_uploads_from_a_browser(runtime: Any) -> None:
    page = f"{urlsplit(str(runtime.api_url)).scheme}://{urlsplit(str(runtime.api_url)).netloc}"
    for origin, allowed in ((page, True), ("https://evil.example", False)):
        preflight = send(
            "OPTIONS", _bucket_url(runtime), headers=[("Origin", origin), ("Access-Control-Request-Method", "POST")]
        )
        assert (preflight.headers.get("access-control-allow-origin") == origin) is allowed, preflight.headers
    link = aws.client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": resources.BUCKET, "Key": VICTIM_RESULT}
    )
    assert "access-control-allow-origin" not in send("GET", link, headers=[("Origin", "https://evil.example")]).headers
    # The page reads its upload's answer (taken or refused); another origin cannot.
    body = multipart(_form([("key", "uploads/x/y/z.mp3")]))
    for origin, allowed in ((page, True), ("https://evil.example", False)):
        headers = [("Content-Type", "multipart/form-data; boundary=xYzBoundary"), ("Origin", origin)]
        refused = send("POST", _bucket_url(runtime), body, headers)
        assert refused.status == 403
        assert (refused.headers.get("access-control-allow-origin") == origin) is allowed, refused.headers


# -- upload tickets are single-use; audio is served as what it is ------------------------------


def test_a_ticket_makes_one_job_and_its_audio_is_served_as_audio(runtime: Any, base_url: str, speech_mp3: Path) -> None:
    from tests.support.api import invoke_api_lambda, proxy_event

    key = new_key("edges-tickets")
    with client(base_url, key) as api:
        ticket = _ticket(api, "meeting.mp3")
        first = httpx.post(ticket["url"], data=ticket["fields"], files={"file": ("a.mp3", speech_mp3.read_bytes())})
        assert first.status_code == 204, first.text
        deadline = time.monotonic() + 60
        while (status := api.get(f"/v1/uploads/{ticket['upload_id']}").json())["status"] != "received":
            assert time.monotonic() < deadline
            time.sleep(0.2)
        job = wait_for(api, status["transcription_id"], lambda b: b["status"] in {"QUEUED", "FAILED"})
        assert job["status"] == "QUEUED", job.get("error")

        # The same ticket again, with other bytes: S3 takes the form (its policy still holds) ...
        body = multipart(_form(list(ticket["fields"].items()), b"ID3" + b"\1" * 5000))
        again = send("POST", ticket["url"], body, [("Content-Type", "multipart/form-data; boundary=xYzBoundary")])
        assert again.status == 204, again.text
        # ... and the second file is recorded, never a second job, on either host.
        deadline = time.monotonic() + 60
        while (status := api.get(f"/v1/uploads/{ticket['upload_id']}").json())["ignored_files"] < 1:
            assert time.monotonic() < deadline, status
            time.sleep(0.2)
        assert status["transcription_id"] == job["id"]
        request = {"source": {"upload_id": ticket["upload_id"]}}
        assert api.post("/v1/transcriptions", json=request).json()["id"] == job["id"]
        through_lambda = invoke_api_lambda(
            proxy_event("POST", "/v1/transcriptions", headers={"X-Api-Key": key}, body=request, public_root="")
        )
        assert json.loads(through_lambda["body"])["id"] == job["id"]
        assert [j["id"] for j in api.get("/v1/transcriptions").json()["items"]] == [job["id"]]

        link = api.get(f"/v1/transcriptions/{job['id']}/audio", params={"redirect": "false"}).json()["url"]
    # The page's link is ours (an audio ticket): it redirects to a presigned GET signed at that moment.
    ticket_answer = send("GET", link, headers=[("Origin", "https://evil.example")])
    assert ticket_answer.status == 307, ticket_answer.status
    audio = send("GET", ticket_answer.headers["location"], headers=[("Origin", "https://evil.example")])
    assert audio.status == 200 and audio.headers["content-type"] == "audio/mpeg"
    assert "access-control-allow-origin" not in audio.headers


def test_a_job_fetches_only_the_file_it_was_made_from(speech_mp3: Path) -> None:
    """A later file under a used ticket overwrites the object (S3 does so too): FetchAudio sees that
    the object is no longer the job's file (its ETag) and fails the job plainly instead of using it."""
    from ytcaption.domain.errors import ErrorCode, YtcError
    from ytcaption.domain.job import S3Source
    from ytcaption.domain.options import JobOptions
    from ytcaption.fetch.step import fetch_s3_audio
    from ytcaption.settings import get_settings
    from ytcaption.store.jobs import JobStore

    settings = get_settings()
    key = "uploads/edges-fetch/0123456789abcdef0123456789abcdef/meeting.mp3"
    first = aws.client("s3").put_object(Bucket=resources.BUCKET, Key=key, Body=speech_mp3.read_bytes())["ETag"]
    aws.client("s3").put_object(Bucket=resources.BUCKET, Key=key, Body=speech_mp3.read_bytes()[:-1000])
    store = JobStore(settings.table)
    source = S3Source(bucket=resources.BUCKET, key=key, etag=first)
    assert store.create(
        job_id="job-edges-fetch", tenant="edges-fetch", source=source.model_dump(), options=JobOptions()
    )
    with pytest.raises(YtcError) as refused:
        fetch_s3_audio("job-edges-fetch", source, settings, store)
    assert refused.value.code == ErrorCode.SOURCE_NOT_FOUND and "replaced by a later upload" in refused.value.reason
