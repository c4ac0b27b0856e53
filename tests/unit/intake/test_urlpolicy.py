"""URL safety with the default settings: only public http(s) addresses of allowed sites."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from ytcaption.domain.errors import ErrorCode, YtcError
from ytcaption.intake.urlpolicy import UrlPolicy, address_allowed, check_url

DEFAULT = UrlPolicy()  # the production default: YouTube's hosts, no loopback


def _resolving_to(monkeypatch: pytest.MonkeyPatch, mapping: dict[str, str]) -> None:
    """Stand-in DNS (this machine has none): host -> address."""
    real = socket.getaddrinfo

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in mapping:
            family = socket.AF_INET6 if ":" in mapping[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (mapping[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/video.mp4",
        "http://127.0.0.1/video.mp3",
        "http://[::1]/video.mp3",
        "http://10.0.0.1/video.mp3",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://192.168.1.10/x",
        "http://[::ffff:10.0.0.1]/x",
        "gopher://youtube.com/",
        "javascript:alert(1)",
        "https://user:pass@www.youtube.com/watch?v=x",
        "https:///watch",
        "https://\u0097\u0019\u00dd\u00bb\u0006+/",  # not an IDNA host name (schemathesis found a 500 here)
    ],
)
def test_default_policy_refuses(url: str) -> None:
    with pytest.raises(YtcError) as refused:
        check_url(url, DEFAULT)
    assert refused.value.code == ErrorCode.URL_NOT_ALLOWED
    assert len(refused.value.reason) > 15


def test_hostname_resolving_to_a_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolving_to(monkeypatch, {"www.youtube.com": "10.1.2.3"})
    with pytest.raises(YtcError, match=r"private or local network address \(10\.1\.2\.3\)"):
        check_url("https://www.youtube.com/watch?v=dQw4w9WgXcQ", DEFAULT)


def test_public_youtube_address_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolving_to(monkeypatch, {"www.youtube.com": "142.250.74.46", "youtu.be": "2a00:1450:4001:80b::200e"})
    assert check_url("https://www.youtube.com/watch?v=x", DEFAULT) == "https://www.youtube.com/watch?v=x"
    assert check_url(" https://youtu.be/x ", DEFAULT) == "https://youtu.be/x"


def test_sites_off_the_allow_list_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolving_to(monkeypatch, {"evil-youtube.com": "93.184.216.34", "vimeo.com": "93.184.216.34"})
    for url in ("https://evil-youtube.com/watch", "https://vimeo.com/1"):
        with pytest.raises(YtcError, match="not on the list"):
            check_url(url, DEFAULT)
    assert check_url("https://vimeo.com/1", UrlPolicy.from_settings("youtube.com, vimeo.com", False))


def test_loopback_only_with_the_local_setting() -> None:
    local = UrlPolicy.from_settings("127.0.0.1,localhost", allow_loopback=True)
    assert check_url("http://127.0.0.1:8080/a.mp3", local)
    assert check_url("http://[::1]:8080/a.mp3", UrlPolicy.from_settings("*", True))
    with pytest.raises(YtcError):
        check_url("http://10.0.0.1/a.mp3", local)  # private stays refused
    with pytest.raises(YtcError):
        check_url("http://169.254.169.254/", UrlPolicy.from_settings("*", True))


@pytest.mark.parametrize(
    ("address", "allowed"),
    [("8.8.8.8", True), ("2001:4860:4860::8888", True), ("10.0.0.1", False), ("172.16.0.1", False),
     ("100.64.0.1", False), ("169.254.169.254", False), ("127.0.0.1", False), ("::1", False), ("0.0.0.0", False),
     ("224.0.0.1", False), ("fe80::1%eth0", False), ("::ffff:127.0.0.1", False)],
)  # fmt: skip
def test_address_allowed(address: str, allowed: bool) -> None:
    assert address_allowed(address, DEFAULT) is allowed


def test_address_guard_checks_only_the_guarded_thread() -> None:
    import threading

    from ytcaption.intake.urlpolicy import addresses_checked

    other_thread: list[object] = []
    with addresses_checked(DEFAULT) as refused:
        with pytest.raises(OSError, match=r"127\.0\.0\.1 is not allowed"):
            socket.getaddrinfo("127.0.0.1", 80)
        # Meanwhile another thread (say boto3 talking to the local emulator) resolves as usual.
        worker = threading.Thread(target=lambda: other_thread.append(socket.getaddrinfo("127.0.0.1", 80)))
        worker.start()
        worker.join()
    assert refused == ["127.0.0.1"]
    assert other_thread and other_thread[0]
    assert socket.getaddrinfo("127.0.0.1", 80), "outside the guard this thread resolves as usual too"


# -- IPv6 addresses that carry an IPv4 address: judged by the address they lead to -----------------

WEBHOOKS = UrlPolicy(allowed_sites=("*",), require_https=True)


@pytest.mark.parametrize(
    "url",
    [
        "https://[64:ff9b::7f00:1]/",  # NAT64 (RFC 6052) of 127.0.0.1
        "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 of the instance metadata service
        "https://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
        "https://[64:ff9b:1::7f00:1]/",  # local-use NAT64 (RFC 8215): the IPv4 address's place is unknown
        "https://[64:ff9b:1:808:8:800::]/",  # ... even where a /48 layout would carry 8.8.8.8
        "https://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "https://[2002:c0a8:10a::1]/",  # 6to4 of 192.168.1.10
        "https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo whose client is 127.0.0.1
        "https://[::7f00:1]/",  # IPv4-compatible 127.0.0.1
        "https://[::a9fe:a9fe]/",  # IPv4-compatible metadata service
        "https://[::ffff:7f00:1]/",  # IPv4-mapped 127.0.0.1
        "https://[0:0:0:0:0:ffff:169.254.169.254]/",  # IPv4-mapped, dotted
    ],
)
def test_ipv6_forms_of_private_ipv4_addresses_are_refused(url: str) -> None:
    with pytest.raises(YtcError, match="private or local network address"):
        check_url(url, WEBHOOKS)


@pytest.mark.parametrize("address", ["64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8"])
def test_ipv6_forms_of_public_ipv4_addresses_are_judged_as_those(address: str) -> None:
    assert address_allowed(address, WEBHOOKS)


def test_a_name_resolving_to_nat64_loopback_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolving_to(monkeypatch, {"hooks.example.com": "64:ff9b::7f00:1"})
    with pytest.raises(YtcError, match=r"64:ff9b::7f00:1"):
        check_url("https://hooks.example.com/in", WEBHOOKS)


def test_loopback_allowed_locally_covers_its_ipv6_forms_only_as_loopback() -> None:
    local = UrlPolicy(allowed_sites=("*",), allow_loopback=True)
    assert address_allowed("64:ff9b::7f00:1", local)  # loopback, where loopback is allowed
    assert not address_allowed("64:ff9b::a00:1", local)  # 10.0.0.1 stays private


def test_http_is_refused_where_https_is_required() -> None:
    with pytest.raises(YtcError, match="Only https"):
        check_url("http://hooks.example.com/in", WEBHOOKS)
