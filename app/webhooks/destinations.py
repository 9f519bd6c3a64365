"""Where we may send webhooks: not into our own network (SSRF), unless an operator allows a host."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx

# An IPv6 address can carry an IPv4 one (NAT64, 6to4, mapped): the IPv4 address is the one reached.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_ALLOWED_PORTS = {80, 443, 8080, 8443}


class RefusedDestination(Exception):
    """Said to the integrator: the reason carries no internal detail beyond the URL they gave."""


async def check_destination(url: str, allowed_private_hosts: list[str]) -> None:
    """Refuse URLs that are not https, carry credentials, use an unusual port, or resolve to a
    private, loopback, link-local or otherwise non-public address (unless the host is allowed in
    configuration). Checked when an endpoint is registered and again before every delivery.

    What this cannot stop alone: a name whose DNS answer changes between this check and the
    connection (rebinding). Production should send webhooks through an egress proxy that enforces
    the same rule."""
    try:
        parts = httpx.URL(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise RefusedDestination("the URL is not valid") from None
    host = parts.host.lower()
    allowed = bool(host) and host in {h.lower() for h in allowed_private_hosts}
    if parts.scheme != "https" and not (parts.scheme == "http" and allowed):
        raise RefusedDestination("webhook URLs must use https")
    if not host or parts.userinfo:
        raise RefusedDestination("the URL needs a host and no credentials")
    if allowed:
        return
    if port not in _ALLOWED_PORTS:
        raise RefusedDestination(f"the port must be one of {sorted(_ALLOWED_PORTS)}")
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        raise RefusedDestination("the host could not be resolved") from None
    for *_, address in found:
        if not _public(ipaddress.ip_address(address[0])):
            raise RefusedDestination("the host resolves to a private, loopback or link-local address")


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (
            ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None
        )  # fmt: skip
        if embedded is not None:
            return embedded.is_global
    return ip.is_global
