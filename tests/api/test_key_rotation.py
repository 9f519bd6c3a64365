"""Rotating the service's signing key, and an identity provider rotating its own: nobody is signed out.

The procedure in docs/operations.md: (1) every replica learns the new key as a previous one (it verifies, never
signs); (2) the new key becomes current and the old one previous; (3) once the old key's tokens have expired,
it is dropped. Each step is a new app here over the same database, as replicas restarted one by one would be.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from app.auth.policy import Role
from app.auth.service import issue_user_token
from app.auth.tokens import TokenService, key_id
from app.core.config import ConfigurationError, Settings
from app.main import create_app
from tests.conftest import TEST_SECRET, make_settings
from tests.factories import notification_body
from tests.jwks_server import JwksServer

NEW_SECRET = "a-new-random-signing-key-of-at-least-32-bytes-for-rotation"


@contextlib.asynccontextmanager
async def replica(settings: Settings, clock) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings, clock)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    await application.state.engine.dispose()


def with_keys(settings: Settings, current: str, previous: str | None = None) -> Settings:
    return make_settings(settings.data_dir, secret_key=current, previous_secret_keys=previous)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def coordinator(world):
    await world.area("15F")
    return await world.staff(Role.coordinator, "15F")


async def test_tokens_name_the_key_that_signed_them(settings, clock, coordinator):
    token = issue_user_token(TokenService(settings, clock), coordinator.user, timedelta(hours=1))
    assert jwt.get_unverified_header(token)["kid"] == key_id(TEST_SECRET)
    assert key_id(TEST_SECRET) != key_id(NEW_SECRET)
    assert TEST_SECRET not in key_id(TEST_SECRET)


async def test_rotation_step_by_step_signs_nobody_out(settings, clock, coordinator):
    old_token = coordinator.headers["Authorization"].removeprefix("Bearer ")  # signed with the old key
    learning = with_keys(settings, TEST_SECRET, previous=NEW_SECRET)  # step 1: new key verifies only
    rotated = with_keys(settings, NEW_SECRET, previous=TEST_SECRET)  # step 2: new key signs
    retired = with_keys(settings, NEW_SECRET)  # step 3: old key dropped
    new_token = issue_user_token(TokenService(rotated, clock), coordinator.user, timedelta(hours=1))
    assert jwt.get_unverified_header(new_token)["kid"] == key_id(NEW_SECRET)

    async with replica(learning, clock) as step_1, replica(rotated, clock) as step_2, replica(retired, clock) as step_3:
        # During a rolling restart, replicas of steps 1 and 2 accept each other's tokens.
        for api in (step_1, step_2):
            for token in (old_token, new_token):
                response = await api.get("/notifications", headers=bearer(token))
                assert response.status_code == 200, response.text
        # Once the old key is dropped, its tokens are refused; the new key's still work.
        refused = await step_3.get("/notifications", headers=bearer(old_token))
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert (await step_3.get("/notifications", headers=bearer(new_token))).status_code == 200


async def test_a_key_that_was_never_listed_is_refused_even_with_a_known_kid(settings, clock, coordinator):
    claims = jwt.decode(
        coordinator.headers["Authorization"].removeprefix("Bearer "), options={"verify_signature": False}
    )
    forged = jwt.encode(claims, "x" * 48, algorithm="HS256", headers={"kid": key_id(TEST_SECRET)})
    unknown_kid = jwt.encode(claims, TEST_SECRET, algorithm="HS256", headers={"kid": "0123456789abcdef"})
    async with replica(settings, clock) as api:
        for token in (forged, unknown_kid):
            assert (await api.get("/notifications", headers=bearer(token))).status_code == 401


async def test_tokens_from_before_kids_verify_with_the_current_key_only(settings, clock, coordinator):
    claims = jwt.decode(
        coordinator.headers["Authorization"].removeprefix("Bearer "), options={"verify_signature": False}
    )
    legacy = jwt.encode(claims, TEST_SECRET, algorithm="HS256")  # no kid header
    assert "kid" not in jwt.get_unverified_header(legacy)
    async with (
        replica(settings, clock) as current,
        replica(with_keys(settings, NEW_SECRET, previous=TEST_SECRET), clock) as rotated,
    ):
        assert (await current.get("/notifications", headers=bearer(legacy))).status_code == 200
        assert (await rotated.get("/notifications", headers=bearer(legacy))).status_code == 401


async def test_a_page_cursor_survives_the_rotation(settings, clock, world, coordinator):
    async with replica(settings, clock) as before:
        for nhs_number in ("9434765919", "9990000018", "4010232137"):
            body = notification_body(**{"person.nhs_number": nhs_number})
            created = await before.post("/notifications", json=body, headers=coordinator.headers)
            assert created.status_code == 201, created.text
        first = (await before.get("/notifications?limit=1", headers=coordinator.headers)).json()
    cursor = first["next_cursor"]
    assert cursor
    async with replica(with_keys(settings, NEW_SECRET, previous=TEST_SECRET), clock) as after:
        page = await after.get("/notifications", params={"limit": 1, "cursor": cursor}, headers=coordinator.headers)
        assert page.status_code == 200, page.text
        assert page.json()["items"][0]["id"] != first["items"][0]["id"]
    async with replica(with_keys(settings, NEW_SECRET), clock) as retired:
        new_token = issue_user_token(
            TokenService(with_keys(settings, NEW_SECRET), clock), coordinator.user, timedelta(hours=1)
        )
        stale = await retired.get("/notifications", params={"limit": 1, "cursor": cursor}, headers=bearer(new_token))
        assert stale.status_code == 422
        assert stale.json()["errors"][0]["field"] == "cursor"


def test_production_refuses_weak_previous_keys(tmp_path):
    base = {
        "environment": "production",
        "data_dir": tmp_path,
        "database_url": "postgresql+psycopg://db/leder",
        "secret_key": NEW_SECRET,
    }
    Settings(**base, previous_secret_keys=f"{TEST_SECRET}, {'y' * 40}").check_startable()
    with pytest.raises(ConfigurationError, match="LEDER_PREVIOUS_SECRET_KEYS"):
        Settings(**base, previous_secret_keys=f"{TEST_SECRET},changeme").check_startable()


def test_previous_keys_split_on_commas_and_whitespace_and_never_repeat_the_current(tmp_path):
    settings = Settings(data_dir=tmp_path, secret_key="k1" * 20, previous_secret_keys=f"{'k2' * 20},\n{'k1' * 20} k3")
    assert settings.verification_keys == ["k1" * 20, "k2" * 20, "k3"]


# An external identity provider rotating its keys: PyJWKClient fetches the set again for an unknown kid.


def external_token(key, kid: str, clock) -> str:
    now = int(clock.now().timestamp())
    claims = {"iss": "https://idp.example", "aud": "leder-client", "sub": "556", "iat": now, "exp": now + 600}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def rsa_key_with_jwk(kid: str):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key, json.loads(RSAAlgorithm.to_jwk(key.public_key())) | {"kid": kid}


@pytest.fixture
async def external_user(world):
    from app.users.schemas import UserCreate
    from app.users.service import create_user

    await world.area("15F")
    data = UserCreate(
        role=Role.coordinator, area_ods="15F", name="CIS2 User", email="cis2b@leder-test.org.uk", external_subject="556"
    )
    async with world.session() as session:
        await create_user(session, data, world.clock.now())
        await session.commit()


def idp_settings(settings: Settings, url: str, **more: object) -> Settings:
    return make_settings(
        settings.data_dir,
        oidc_jwks_url=url,
        oidc_issuer="https://idp.example",
        oidc_audience="leder-client",
        **more,
    )


async def test_the_providers_keys_are_cached_and_a_new_kid_is_fetched(settings, clock, external_user):
    first_key, first_jwk = rsa_key_with_jwk("2026-1")
    second_key, second_jwk = rsa_key_with_jwk("2026-2")
    with JwksServer({"keys": [first_jwk]}) as server:
        async with replica(idp_settings(settings, server.url, oidc_jwks_refetch_cooldown_seconds=0), clock) as api:
            for _ in range(3):
                response = await api.get("/notifications", headers=bearer(external_token(first_key, "2026-1", clock)))
                assert response.status_code == 200, response.text
            assert server.fetches == 1  # then from the cache
            server.document = {"keys": [first_jwk, second_jwk]}  # the provider publishes its next key
            response = await api.get("/notifications", headers=bearer(external_token(second_key, "2026-2", clock)))
            assert response.status_code == 200, response.text
            assert server.fetches == 2
            # A kid the provider never published is still refused, after one more look.
            unknown = await api.get("/notifications", headers=bearer(external_token(second_key, "nope", clock)))
            assert unknown.status_code == 401


async def test_an_unreachable_provider_refuses_its_tokens_and_nothing_else(settings, clock, external_user, world):
    key, jwk = rsa_key_with_jwk("2026-1")
    with JwksServer({"keys": [jwk]}) as server:
        url = server.url
    staff = await world.staff(Role.coordinator, "15F")
    async with replica(idp_settings(settings, url, oidc_jwks_timeout_seconds=2), clock) as api:
        refused = await api.get("/notifications", headers=bearer(external_token(key, "2026-1", clock)))
        assert refused.status_code == 401
        assert "unavailable" in refused.json()["detail"]
        assert (await api.get("/notifications", headers=staff.headers)).status_code == 200


def test_the_jwks_url_is_https_in_production_and_never_a_file(tmp_path):
    common = {"oidc_issuer": "https://idp.example", "oidc_audience": "leder-client", "data_dir": tmp_path}
    with pytest.raises(ValueError, match="https"):
        Settings(oidc_jwks_url="file:///etc/passwd", **common)
    production = Settings(
        environment="production",
        database_url="postgresql+psycopg://db/leder",
        secret_key=NEW_SECRET,
        oidc_jwks_url="http://idp.example/jwks",
        **common,
    )
    with pytest.raises(ConfigurationError, match="https"):
        production.check_startable()
