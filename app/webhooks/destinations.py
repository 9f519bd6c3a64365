"""Where we may send webhooks: not into our own network (SSRF), unless an operator allows a host."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class RefusedDestination(Exception):
    """Said to the integrator: the reason carries no internal detail beyond the URL they gave."""


async def check_destination(url: str, allowed_private_hosts: list[str]) -> None:
    """Refuse URLs that are not https, carry credentials, or resolve to a private, loopback,
    link-local or otherwise non-public address (unless the host is allowed in configuration).
    Checked when an endpoint is registered and again before every delivery (DNS can change)."""
    parts = urlsplit(url)
    host = parts.hostname
    allowed = host is not None and host in allowed_private_hosts
    if parts.scheme != "https" and not (parts.scheme == "http" and allowed):
        raise RefusedDestination("webhook URLs must use https")
    if host is None or parts.username is not None or parts.password is not None:
        raise RefusedDestination("the URL needs a host and no credentials")
    if allowed:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError):
        raise RefusedDestination("the host could not be resolved") from None
    for *_, address in found:
        ip = ipaddress.ip_address(address[0])
        if not ip.is_global:
            raise RefusedDestination("the host resolves to a private, loopback or link-local address")
