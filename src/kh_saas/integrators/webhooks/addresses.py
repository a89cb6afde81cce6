"""Where a webhook may point: never at the service's own network (SSRF guard).

A URL whose host resolves to a loopback, link-local, private, shared, multicast or otherwise
non-global address is refused when the endpoint is made or changed, and again before every
delivery (a name may be re-pointed after it was checked). ``KH_WEBHOOKS_ALLOW_PRIVATE=1``
lifts the rule for tests and on-premise installs.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048


class RefusedAddress(ValueError):
    """The URL is malformed, or its host resolves to an address webhooks may not reach."""


def check_shape(url: str) -> tuple[str, int]:
    """``(host, port)`` of an absolute http(s) URL without credentials."""
    if len(url) > MAX_URL_LENGTH:
        raise RefusedAddress(f"longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RefusedAddress(f"not a URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise RefusedAddress("must start with https:// (or http://)")
    if not parts.hostname:
        raise RefusedAddress("has no host")
    if parts.username is not None or parts.password is not None:
        raise RefusedAddress("may not carry a user name or password")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _forbidden(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


async def check_url(url: str, *, allow_private: bool) -> None:
    """Raise :class:`RefusedAddress` unless ``url`` may receive webhooks now."""
    host, port = check_shape(url)
    if allow_private:
        return
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise RefusedAddress(f"host {host!r} does not resolve: {exc}") from exc
    bad = sorted({str(info[4][0]) for info in found if _forbidden(str(info[4][0]))})
    if bad:
        raise RefusedAddress(
            f"host {host!r} resolves to a loopback, link-local or private address "
            f"({', '.join(bad)}); webhooks only reach public addresses"
        )
