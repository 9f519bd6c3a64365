"""The SSRF rule for webhook destinations, and pinning the connection to the address that was checked."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx
import pytest

from app.webhooks.destinations import RefusedDestination, check_destination, pinned_request, public_unicast


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2a00:1450:4009:81f::200e", True),
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("::ffff:8.8.8.8", True),  # mapped 8.8.8.8
        ("10.0.0.1", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("169.254.169.254", False),
        ("224.0.0.1", False),
        ("239.255.255.250", False),
        ("255.255.255.255", False),
        ("0.0.0.0", False),  # noqa: S104  (an address to refuse, not one we bind)
        ("::", False),
        ("::1", False),
        ("::a9fe:a9fe", False),
        ("::8.8.8.8", False),  # IPv4-compatible: deprecated, refused whatever it carries
        ("::ffff:0:a9fe:a9fe", False),
        ("64:ff9b::a9fe:a9fe", False),
        ("64:ff9b:1::808:808", False),
        ("2002:a00:1::", False),  # 6to4 of 10.0.0.1
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("ff0e::1", False),  # global-scope multicast is still multicast
    ],
)
def test_only_public_unicast_addresses_are_destinations(address, public):
    assert public_unicast(ipaddress.ip_address(address)) is public


def _resolving_to(monkeypatch, *addresses: str) -> None:
    loop = asyncio.get_running_loop()

    async def getaddrinfo(host, port, **_):
        family = socket.AF_INET6
        return [(family if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)


async def test_a_name_is_refused_if_any_of_its_addresses_is_not_public(monkeypatch):
    _resolving_to(monkeypatch, "93.184.216.34", "10.0.0.7")
    with pytest.raises(RefusedDestination, match="non-public"):
        await check_destination("https://hooks.example.org/in", [])


async def test_a_delivery_connects_to_the_address_it_checked(monkeypatch):
    _resolving_to(monkeypatch, "93.184.216.34")
    destination = await check_destination("https://hooks.example.org:8443/in?x=1", [])
    async with httpx.AsyncClient() as client:
        request = pinned_request(client, "https://hooks.example.org:8443/in?x=1", destination, content=b"{}")
    assert str(request.url) == "https://93.184.216.34:8443/in?x=1"
    assert request.headers["host"] == "hooks.example.org:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.org"  # and the certificate is checked for it


async def test_a_name_rebound_to_a_private_address_after_registration_is_refused_at_delivery(monkeypatch):
    _resolving_to(monkeypatch, "93.184.216.34")
    await check_destination("https://hooks.example.org/in", [])  # registered
    _resolving_to(monkeypatch, "169.254.169.254")  # the DNS answer changes
    with pytest.raises(RefusedDestination):
        await check_destination("https://hooks.example.org/in", [])  # checked again before every delivery
