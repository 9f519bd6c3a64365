"""Bearer tokens through HTTP: what is accepted, and every way a bad one gets a 401 problem."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from app.auth.policy import Role, Scope
from app.main import create_app
from tests.conftest import TEST_SECRET, make_settings
from tests.jwks_server import JwksServer


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.fixture
async def coordinator(world):
    await world.area("15F")
    return await world.staff(Role.coordinator, "15F")


def claims_for(staff, clock, **changes):
    now = int(clock.now().timestamp())
    claims = {
        "iss": "leder",
        "aud": "leder-api",
        "sub": f"user:{staff.user.id}",
        "iat": now,
        "exp": now + 3600,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


async def assert_refused(api, token: str | None, *, header: str | None = None) -> None:
    headers = {"Authorization": header if header is not None else f"Bearer {token}"}
    response = await api.get("/notifications", headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401


async def test_a_valid_token_is_accepted(api, coordinator):
    assert (await api.get("/notifications", headers=coordinator.headers)).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token abc",
        "Bearer a.b",
        "Bearer a.b.c",
        "Bearer .....",
    ],
)
async def test_missing_or_malformed_credentials(api, coordinator, header):
    await assert_refused(api, None, header=header)


async def test_no_authorization_header(api, coordinator):
    response = await api.get("/notifications")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_expired_token(api, coordinator, clock):
    token = jwt.encode(claims_for(coordinator, clock, exp=int(clock.now().timestamp()) - 31), TEST_SECRET)
    await assert_refused(api, token)


async def test_a_token_expires_by_the_services_clock(api, coordinator, clock):
    clock.set(clock.now() + timedelta(hours=1, seconds=31))
    await assert_refused(api, coordinator.token)


async def test_token_not_yet_valid(api, coordinator, clock):
    future = int(clock.now().timestamp()) + 600
    await assert_refused(api, jwt.encode(claims_for(coordinator, clock, iat=future, nbf=future), TEST_SECRET))


@pytest.mark.parametrize("missing", ["exp", "iat", "iss", "aud", "sub"])
async def test_tokens_missing_a_required_claim(api, coordinator, clock, missing):
    await assert_refused(api, jwt.encode(claims_for(coordinator, clock, **{missing: None}), TEST_SECRET))


@pytest.mark.parametrize(("claim", "value"), [("aud", "other-api"), ("iss", "someone-else"), ("sub", "user:nobody")])
async def test_tokens_for_another_audience_issuer_or_subject(api, coordinator, clock, claim, value):
    await assert_refused(api, jwt.encode(claims_for(coordinator, clock, **{claim: value}), TEST_SECRET))


async def test_wrongly_signed_token(api, coordinator, clock):
    await assert_refused(api, jwt.encode(claims_for(coordinator, clock), "another-secret-of-sufficient-length-000000"))


async def test_modified_claims_break_the_signature(api, coordinator, clock):
    header, _, signature = coordinator.token.split(".")
    forged = _b64(claims_for(coordinator, clock, exp=int(clock.now().timestamp()) + 10**6))
    await assert_refused(api, f"{header}.{forged}.{signature}")
    await assert_refused(api, f"{header}.{coordinator.token.split('.')[1]}.")  # signature stripped
    await assert_refused(api, coordinator.token[:-4])  # truncated


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
async def test_alg_none_in_any_case(api, coordinator, clock, alg):
    token = f"{_b64({'alg': alg, 'typ': 'JWT'})}.{_b64(claims_for(coordinator, clock))}."
    await assert_refused(api, token)


@pytest.mark.parametrize("exp", [float("nan"), float("inf"), "tomorrow", True])
async def test_non_numeric_or_non_finite_times(api, coordinator, clock, exp):
    header = _b64({"alg": "HS256", "typ": "JWT"})
    payload = (
        base64.urlsafe_b64encode(json.dumps(claims_for(coordinator, clock, exp=exp)).encode()).decode().rstrip("=")
    )
    import hashlib
    import hmac

    signature = (
        base64.urlsafe_b64encode(
            hmac.new(TEST_SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
        )
        .decode()
        .rstrip("=")
    )
    await assert_refused(api, f"{header}.{payload}.{signature}")


async def test_a_lifetime_beyond_the_maximum_is_refused(api, coordinator, clock):
    now = int(clock.now().timestamp())
    await assert_refused(api, jwt.encode(claims_for(coordinator, clock, exp=now + 25 * 3600), TEST_SECRET))


async def test_oversized_token(api, coordinator, clock):
    token = jwt.encode(claims_for(coordinator, clock, padding="x" * 5000), TEST_SECRET)
    await assert_refused(api, token)


async def test_a_deactivated_users_token_stops_working_at_once(api, world, coordinator):
    admin = await world.staff(Role.admin)
    assert (await api.get("/notifications", headers=coordinator.headers)).status_code == 200

    response = await api.patch(f"/users/{coordinator.user.id}", json={"active": False}, headers=admin.headers)
    assert response.status_code == 200
    assert response.json()["active"] is False
    await assert_refused(api, coordinator.token)


async def test_a_role_change_takes_effect_without_a_new_token(api, world, coordinator):
    # The token names the user only; role and area come from the database on every request.
    async with world.session() as session:
        user = await session.get(type(coordinator.user), coordinator.user.id)
        user.role, user.area_ods = Role.national.value, None
        await session.commit()
    body = (await api.get("/notifications", headers=coordinator.headers)).json()
    assert body == {"items": [], "next_cursor": None}
    admin_only = await api.get("/users", headers=coordinator.headers)
    assert admin_only.status_code == 403


# The external identity provider (NHS CIS2 in production): RS256 and ES256 keys from its JWKS URL.


@pytest.fixture
def identity_provider(settings, clock):
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rsa_jwk = json.loads(RSAAlgorithm.to_jwk(rsa_key.public_key())) | {"kid": "rsa-1"}
    ec_jwk = json.loads(ECAlgorithm.to_jwk(ec_key.public_key())) | {"kid": "ec-1"}
    with JwksServer({"keys": [rsa_jwk, ec_jwk]}) as server:
        external = make_settings(
            settings.data_dir,
            oidc_jwks_url=server.url,
            oidc_issuer="https://idp.example",
            oidc_audience="leder-client",
        )
        yield {"settings": external, "rsa": rsa_key, "ec": ec_key, "rsa_jwk": rsa_jwk, "server": server}


@pytest.fixture
async def idp_api(identity_provider, clock):
    import httpx

    application = create_app(identity_provider["settings"], clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://t") as client:
        yield client
    await application.state.engine.dispose()


@pytest.fixture
async def cis2_user(world):
    from app.users.schemas import UserCreate
    from app.users.service import create_user

    await world.area("15F")
    data = UserCreate(
        role=Role.coordinator,
        area_ods="15F",
        name="CIS2 User",
        email="cis2@leder-test.org.uk",
        external_subject="555",
    )
    async with world.session() as session:
        user = await create_user(session, data, world.clock.now())
        await session.commit()
    return user


def external_claims(clock, **changes):
    now = int(clock.now().timestamp())
    claims = {"iss": "https://idp.example", "aud": "leder-client", "sub": "555", "iat": now, "exp": now + 600}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.mark.parametrize(("alg", "kid", "key"), [("RS256", "rsa-1", "rsa"), ("ES256", "ec-1", "ec")])
async def test_external_identity_provider_tokens_are_accepted(
    idp_api, identity_provider, cis2_user, clock, alg, kid, key
):
    token = jwt.encode(external_claims(clock), identity_provider[key], algorithm=alg, headers={"kid": kid})
    response = await idp_api.get("/notifications", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text


async def test_external_tokens_still_need_our_audience_issuer_and_a_known_person(
    idp_api, identity_provider, cis2_user, clock
):
    rsa_key = identity_provider["rsa"]
    bad = [
        external_claims(clock, aud="leder-api"),
        external_claims(clock, iss="leder"),
        external_claims(clock, sub="unknown-person"),
        external_claims(clock, exp=None),
    ]
    for claims in bad:
        token = jwt.encode(claims, rsa_key, algorithm="RS256", headers={"kid": "rsa-1"})
        await assert_refused(idp_api, token)
    # A key id we do not hold, and an algorithm that does not match the key's type.
    await assert_refused(idp_api, jwt.encode(external_claims(clock), rsa_key, algorithm="RS256", headers={"kid": "x"}))
    await assert_refused(
        idp_api, jwt.encode(external_claims(clock), rsa_key, algorithm="PS256", headers={"kid": "rsa-1"})
    )


@pytest.mark.parametrize("form", ["pem", "der", "jwk"])
async def test_hs256_signed_with_the_providers_public_key_is_refused(
    idp_api, identity_provider, cis2_user, clock, form
):
    public = identity_provider["rsa"].public_key()
    if form == "pem":
        secret = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    elif form == "der":
        secret = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    else:
        secret = json.dumps(identity_provider["rsa_jwk"]).encode()
    header = _b64({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"})
    payload = _b64(external_claims(clock))
    import hashlib
    import hmac

    signature = (
        base64.urlsafe_b64encode(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        .decode()
        .rstrip("=")
    )
    await assert_refused(idp_api, f"{header}.{payload}.{signature}")


async def test_injected_key_headers_are_ignored(api, coordinator, clock):
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(attacker.public_key()))
    for headers in (
        {"jwk": jwk},
        {"jku": "http://127.0.0.1:9/jwks"},
        {"x5u": "http://127.0.0.1:9/c"},
        {"kid": "rsa-1"},
    ):
        token = jwt.encode(claims_for(coordinator, clock), attacker, algorithm="RS256", headers=headers)
        await assert_refused(api, token)


# OAuth 2.0 client credentials for integrators.


async def test_client_credentials_in_the_body_or_as_basic_auth(api, world):
    await world.area("15F")
    client_id, secret = await world.client([Scope.notifications_read], ["15F"])
    in_body = await api.post(
        "/auth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    basic = await api.post("/auth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))

    for response in (in_body, basic):
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 3600
        assert body["scope"] == "notifications:read"
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        assert (await api.get("/notifications", headers=headers)).status_code == 200


async def test_client_credentials_failures(api, world):
    await world.area("15F")
    client_id, secret = await world.client([Scope.notifications_read], ["15F"])
    wrong_secret = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret + "x"}
    unknown = {"grant_type": "client_credentials", "client_id": "lc_nope", "client_secret": secret}
    password = {"grant_type": "password", "client_id": client_id, "client_secret": secret}
    too_wide = {**wrong_secret, "client_secret": secret, "scope": "notifications:write"}

    for form, status, error in [
        (wrong_secret, 401, "invalid_client"),
        (unknown, 401, "invalid_client"),
        (password, 400, "unsupported_grant_type"),
        (too_wide, 400, "invalid_scope"),
    ]:
        response = await api.post("/auth/token", data=form)
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["error"] == error
        assert secret not in response.text
    missing = await api.post("/auth/token", data={"client_id": client_id})
    assert missing.status_code == 422


async def test_a_deactivated_client_loses_its_tokens(api, world):
    from app.auth.models import IntegratorClient

    await world.area("15F")
    client_id, secret = await world.client([Scope.notifications_read], ["15F"])
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    token = (await api.post("/auth/token", data=form)).json()["access_token"]
    async with world.session() as session:
        client = await session.get(IntegratorClient, client_id)
        client.active = False
        await session.commit()
    await assert_refused(api, token)
    assert (await api.post("/auth/token", data=form)).status_code == 401


async def test_wrong_secrets_never_lock_out_the_right_one(api, world):
    await world.area("15F")
    client_id, secret = await world.client([Scope.notifications_read], ["15F"])
    wrong = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "guess"}
    for _ in range(20):  # anyone who knows the client id, from anywhere
        assert (await api.post("/auth/token", data=wrong)).status_code == 401
    right = {**wrong, "client_secret": secret}
    assert (await api.post("/auth/token", data=right)).status_code == 200


async def test_an_address_past_its_limit_backs_off_to_at_most_a_minute(api, world, clock):
    await world.area("15F")
    client_id, secret = await world.client([Scope.notifications_read], ["15F"])
    wrong = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "guess"}
    right = {**wrong, "client_secret": secret}
    for _ in range(30):  # LEDER_TOKEN_FAILURES_PER_ADDRESS
        assert (await api.post("/auth/token", data=wrong)).status_code == 401
    waits = []
    for _ in range(9):  # a guesser who waits as told: 1, 2, 4... seconds, then a minute at most
        limited = await api.post("/auth/token", data=right)  # even the right secret waits: no oracle
        assert limited.status_code == 429
        assert limited.headers["content-type"] == "application/problem+json"
        waits.append(int(limited.headers["retry-after"]))
        clock.set(clock.now() + timedelta(seconds=waits[-1]))
        assert (await api.post("/auth/token", data=wrong)).status_code == 401
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    limited = await api.post("/auth/token", data=right)
    clock.set(clock.now() + timedelta(seconds=int(limited.headers["retry-after"])))
    assert (await api.post("/auth/token", data=right)).status_code == 200  # at most a minute for the owner


async def test_guessing_across_client_ids_is_limited_by_address(api, world):
    guesses = [{"grant_type": "client_credentials", "client_id": f"lc_{n}", "client_secret": "x"} for n in range(31)]
    answers = [(await api.post("/auth/token", data=form)).status_code for form in guesses]
    assert answers == [401] * 30 + [429]


@pytest.mark.parametrize("size", [8_000, 64_000, 1_000_000])
async def test_huge_authorization_headers_are_a_plain_401(api, coordinator, size):
    response = await api.get("/notifications", headers={"Authorization": "Bearer " + "a" * size})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert len(response.content) < 1_000  # the token is not echoed back
