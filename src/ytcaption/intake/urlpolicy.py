"""Which URLs we may fetch: source media and (later) webhooks are untrusted input.

http/https only (https only where required: webhooks), an allow-list of sites,
and every address the host resolves to must be public: never private, loopback,
link-local, or the instance metadata service (SSRF). An IPv6 address that
carries an IPv4 address (IPv4-mapped and -compatible, NAT64, 6to4, Teredo) is
judged by the IPv4 address it carries too: a NAT64 gateway or a 6to4 relay
would deliver it there. Checked before a job exists and again before each
request, redirects included.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ytcaption.domain.errors import ErrorCode, YtcError
from ytcaption.domain.sites import YOUTUBE_HOSTS

_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
# RFC 6052's well-known NAT64 prefix (the IPv4 address is the last 32 bits) and RFC 8215's local-use
# prefix, where the operator picks the prefix length, so where the IPv4 address sits is unknown.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


@dataclass(frozen=True)
class UrlPolicy:
    allowed_sites: tuple[str, ...] = YOUTUBE_HOSTS
    allow_loopback: bool = False
    require_https: bool = False

    @classmethod
    def from_settings(cls, allowed_sites: str, allow_loopback: bool) -> UrlPolicy:
        sites = tuple(s.strip().lower().lstrip(".") for s in allowed_sites.split(",") if s.strip())
        return cls(allowed_sites=sites, allow_loopback=allow_loopback)

    def site_allowed(self, host: str) -> bool:
        if "*" in self.allowed_sites:
            return True
        host = host.lower().rstrip(".")
        return any(host == site or host.endswith("." + site) for site in self.allowed_sites)


def webhook_policy(allow_loopback: bool, require_https: bool = False) -> UrlPolicy:
    """Webhooks may go to any public site (over https where required); private addresses never."""
    return UrlPolicy(allowed_sites=("*",), allow_loopback=allow_loopback, require_https=require_https)


def _reject(reason: str) -> YtcError:
    return YtcError(ErrorCode.URL_NOT_ALLOWED, reason)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address] | None:
    """The IPv4 addresses an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo's server
    and client); [] if none; None if it may carry one at a place we cannot know (local-use NAT64)."""
    if ip in _NAT64_LOCAL:
        return None
    if ip.ipv4_mapped:
        return [ip.ipv4_mapped]
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if ip.sixtofour:
        return [ip.sixtofour]
    if ip.teredo:
        return list(ip.teredo)
    return []


def address_allowed(address: str, policy: UrlPolicy) -> bool:
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        carried = embedded_ipv4(ip)
        if carried is None:
            return False
        if carried:
            # Judged by where it leads: every IPv4 address it carries must be allowed.
            return all(address_allowed(str(v4), policy) for v4 in carried)
    if ip in _METADATA:
        return False
    if ip.is_loopback:
        return policy.allow_loopback
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise _reject(f"The host {host} could not be resolved.") from exc
    except UnicodeError as exc:  # not a valid (IDNA) host name
        raise _reject("The URL's host name is not valid.") from exc
    return sorted({str(info[4][0]) for info in infos})


def check_url(url: str, policy: UrlPolicy) -> str:
    """Return the URL if we may fetch it; raise YtcError(URL_NOT_ALLOWED) with the reason otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise _reject("The URL is malformed.") from exc
    if parts.scheme not in {"http", "https"}:
        raise _reject(f"Only http and https URLs are accepted, not {parts.scheme or 'a bare path'}.")
    if policy.require_https and parts.scheme != "https":
        raise _reject("Only https URLs are accepted here: the events are signed and must travel encrypted.")
    host = parts.hostname
    if not host:
        raise _reject("The URL has no host.")
    if parts.username or parts.password:
        raise _reject("URLs with credentials in them are not accepted.")
    is_literal = _is_ip(host)
    if not is_literal and not policy.site_allowed(host):
        raise _reject(f"The site {host} is not on the list of sites we fetch from.")
    addresses = [host] if is_literal else resolve(host, port)
    for address in addresses:
        if not address_allowed(address, policy):
            raise _reject(f"The URL points to a private or local network address ({address}), which is not allowed.")
    if is_literal and not policy.site_allowed(host) and not (policy.allow_loopback and _is_loopback(host)):
        raise _reject(f"The address {host} is not on the list of sites we fetch from.")
    return url.strip()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    return ipaddress.ip_address(host).is_loopback


# The guard wraps socket.getaddrinfo once, for the whole process, but checks only
# the lookups of threads inside `addresses_checked`: another thread (boto3 talking
# to a local emulator, a second request of the API) resolves as usual.
_real_getaddrinfo = socket.getaddrinfo
_guarded = threading.local()
_install_lock = threading.Lock()


def _checking_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    infos = _real_getaddrinfo(host, port, *args, **kwargs)
    state: tuple[UrlPolicy, list[str]] | None = getattr(_guarded, "state", None)
    if state is not None:
        policy, refused = state
        for info in infos:
            address = str(info[4][0])
            if not address_allowed(address, policy):
                refused.append(address)
                raise OSError(f"address {address} is not allowed")
    return infos


@contextmanager
def addresses_checked(policy: UrlPolicy) -> Iterator[list[str]]:
    """Refuse, at name resolution, any address the policy forbids for this thread's
    connections; yields the refused ones.

    Checking where connections are made covers redirects and DNS rebinding,
    which a check of the first URL alone cannot.
    """
    with _install_lock:
        if socket.getaddrinfo is not _checking_getaddrinfo:
            socket.getaddrinfo = _checking_getaddrinfo
    refused: list[str] = []
    previous = getattr(_guarded, "state", None)
    _guarded.state = (policy, refused)
    try:
        yield refused
    finally:
        _guarded.state = previous
