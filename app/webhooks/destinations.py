"""Where we may send webhooks: not into our own network (SSRF), unless an operator allows a host.

The rule: a webhook goes only to globally routable unicast addresses. Every address a name resolves to is
checked, in its normal form, with any IPv4 address an IPv6 one carries (mapped, compatible, SIIT, NAT64,
6to4) checked as the IPv4 address it reaches; the local-use NAT64 prefix, multicast, reserved and
unspecified addresses are refused outright. The check runs when an endpoint is registered and again at
every delivery, after resolving the name, and the delivery connects to the address it checked (pinned), so
a name whose DNS answer changes in between (rebinding) cannot redirect it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_ALLOWED_PORTS = {80, 443, 8080, 8443}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix: the IPv4 address is the last 32 bits
_REFUSED_V6 = [
    ipaddress.ip_network("64:ff9b:1::/48"),  # RFC 8215 local-use NAT64: reaches whatever the operator's NAT64 does
    ipaddress.ip_network("::/96"),  # IPv4-compatible (deprecated), and :: and ::1
    ipaddress.ip_network("::ffff:0:0:0/96"),  # SIIT IPv4-translated
]


class RefusedDestination(Exception):
    """Said to the integrator: the reason carries no internal detail beyond the URL they gave."""


@dataclass(frozen=True)
class Destination:
    """A checked webhook URL: the host as given, and the address to connect to (None: an allowed host)."""

    host: str
    address: IPAddress | None


def public_unicast(ip: IPAddress) -> bool:
    """Globally routable unicast, for the address itself and any IPv4 address it carries."""
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in network for network in _REFUSED_V6):
            return False
        embedded = ip.ipv4_mapped or ip.sixtofour or (
            ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None
        )  # fmt: skip
        if embedded is not None:
            return public_unicast(embedded)
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


async def check_destination(url: str, allowed_private_hosts: list[str]) -> Destination:
    """Refuse URLs that are not https, carry credentials, use an unusual port, or reach any address that is
    not public unicast (unless the host is allowed in configuration); else the address to connect to."""
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
        return Destination(host, None)
    if port not in _ALLOWED_PORTS:
        raise RefusedDestination(f"the port must be one of {sorted(_ALLOWED_PORTS)}")
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = [ipaddress.ip_address(str(address[0]).split("%")[0]) for *_, address in found]
    except (OSError, UnicodeError, ValueError):
        raise RefusedDestination("the host could not be resolved") from None
    if not addresses or not all(public_unicast(ip) for ip in addresses):
        raise RefusedDestination("the host resolves to a private, loopback, link-local or other non-public address")
    return Destination(host, addresses[0])


def pinned_request(client: httpx.AsyncClient, url: str, destination: Destination, **options: object) -> httpx.Request:
    """A POST to `url` that connects to the checked address, with the Host header and TLS name (SNI and
    certificate check) of the URL's own host."""
    if destination.address is None:
        return client.build_request("POST", url, **options)  # type: ignore[arg-type]
    original = httpx.URL(url)
    connect_to = original.copy_with(host=str(destination.address))
    request = client.build_request("POST", connect_to, **options)  # type: ignore[arg-type]
    request.headers["Host"] = original.netloc.decode("ascii")
    request.extensions["sni_hostname"] = destination.host
    return request
