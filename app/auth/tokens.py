"""Bearer tokens, behind one small module (PyJWT; python-jose is unmaintained and unsafe by default).

Two issuers, never one mixed allow-list of algorithms:
- the service's own tokens: HS256, our issuer and audience. Each carries the `kid` of the key that signed it:
  the current LEDER_SECRET_KEY signs, and the keys it replaced (LEDER_PREVIOUS_SECRET_KEYS) still verify, so a
  key can be rotated without signing everyone out;
- optionally an external identity provider's (NHS CIS2 in production): RS256/ES256 public keys from its JWKS
  URL through PyJWT's PyJWKClient (cached; fetched again for an unknown `kid`), with its own issuer and
  audience, the key chosen by `kid` and the algorithm by the key's type.
Every token must carry exp, iat, iss, aud and sub. Header-supplied keys (jwk, jku, x5u) are ignored, and only
the configured JWKS URL is ever fetched.
"""

from __future__ import annotations

import hashlib
import logging
import math
import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

import anyio
import jwt

from app.core.clock import Clock
from app.core.config import Settings

SERVICE_ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]


class TokenIssuer(StrEnum):
    service = "service"
    external = "external"


class InvalidToken(Exception):
    """The token cannot be trusted. The message is safe to show: it never contains token content."""


@dataclass(frozen=True)
class VerifiedToken:
    issuer: TokenIssuer
    subject: str
    claims: dict[str, Any]


# Only asymmetric keys, each with the one algorithm its type implies: an HS256 token can never be checked
# against a provider's public key, and an RSA key never with PS256.
_EXTERNAL_ALGORITHMS = {("RSA", "RS256"), ("EC", "ES256")}

log = logging.getLogger("leder.auth")


def key_id(secret: str) -> str:
    """A service key's `kid`: names the key without revealing it (a hash of a long random value)."""
    return hashlib.sha256(b"leder token key\0" + secret.encode()).hexdigest()[:16]


class TokenService:
    def __init__(self, settings: Settings, clock: Clock, jwks: jwt.PyJWKClient | None = None) -> None:
        self._settings = settings
        self._clock = clock
        self._current_kid = key_id(settings.signing_key)
        self._service_keys = {key_id(secret): secret for secret in settings.verification_keys}
        self._jwks = jwks or (_jwks_client(settings) if settings.oidc_jwks_url else None)

    def issue(self, subject: str, ttl: timedelta, extra_claims: dict[str, Any] | None = None) -> str:
        now = self._clock.now()
        claims: dict[str, Any] = {
            **(extra_claims or {}),
            "iss": self._settings.token_issuer,
            "aud": self._settings.token_audience,
            "sub": subject,
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int((now + ttl).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(
            claims,
            self._settings.signing_key,
            algorithm=SERVICE_ALGORITHM,
            headers={"kid": self._current_kid},
        )

    async def verify(self, token: str) -> VerifiedToken:
        """Our own tokens are checked in the event loop; a provider's in a worker thread, because finding its
        key may mean fetching the JWKS (PyJWKClient is synchronous)."""
        alg, kid = self._header(token)
        if alg == SERVICE_ALGORITHM:
            return self._verify_service(token, kid)
        if self._jwks is None:
            raise InvalidToken("unsupported token")  # no provider configured: refused without a thread
        return await anyio.to_thread.run_sync(self._verify_external, token, alg, kid)

    def _header(self, token: str) -> tuple[Any, Any]:
        if len(token) > self._settings.token_max_bytes:
            raise InvalidToken("token too large")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken("malformed token") from None
        return header.get("alg"), header.get("kid")

    def _verify_service(self, token: str, kid: Any) -> VerifiedToken:
        if kid is None:
            # Signed before tokens carried a kid: only the key in use then, the current one, can have signed it.
            secret = self._settings.signing_key
        elif not isinstance(kid, str) or kid not in self._service_keys:
            raise InvalidToken("unsupported token")  # a retired key, or an external provider's kid with HS256
        else:
            secret = self._service_keys[kid]
        return self._decode(
            token,
            secret,
            SERVICE_ALGORITHM,
            self._settings.token_issuer,
            self._settings.token_audience,
            TokenIssuer.service,
        )

    def _verify_external(self, token: str, alg: Any, kid: Any) -> VerifiedToken:
        if self._jwks is None or not isinstance(kid, str) or not kid:
            raise InvalidToken("unsupported token")
        try:
            key = self._jwks.get_signing_key(kid)
        except jwt.PyJWKClientConnectionError:
            log.warning("the identity provider's JWKS could not be fetched")
            raise InvalidToken("the identity provider's keys are unavailable") from None
        except jwt.PyJWTError:
            raise InvalidToken("unsupported token") from None
        if (key.key_type, key.algorithm_name) not in _EXTERNAL_ALGORITHMS or alg != key.algorithm_name:
            raise InvalidToken("unsupported token")
        assert self._settings.oidc_issuer
        assert self._settings.oidc_audience
        return self._decode(
            token,
            key.key,
            key.algorithm_name,
            self._settings.oidc_issuer,
            self._settings.oidc_audience,
            TokenIssuer.external,
        )

    def _decode(
        self, token: str, key: Any, algorithm: str, issuer: str, audience: str, kind: TokenIssuer
    ) -> VerifiedToken:
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=audience,
                issuer=issuer,
                # Times are checked below against the service's clock, which is the authority here.
                options={
                    "require": _REQUIRED_CLAIMS,
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError:
            raise InvalidToken("invalid token") from None
        times = [claims.get(name, claims["iat"]) for name in ("exp", "iat", "nbf")]
        if not isinstance(claims["sub"], str) or not claims["sub"] or not all(_is_number(t) for t in times):
            raise InvalidToken("invalid token")
        exp, iat, nbf = times
        now = self._clock.now().timestamp()
        leeway = self._settings.token_leeway_seconds
        if exp - iat > self._settings.token_max_ttl_seconds:
            raise InvalidToken("token lifetime too long")
        if exp <= now - leeway:
            raise InvalidToken("token expired")
        if max(iat, nbf) > now + leeway:
            raise InvalidToken("token not yet valid")
        return VerifiedToken(issuer=kind, subject=claims["sub"], claims=claims)


def _is_number(value: Any) -> bool:
    # JSON parsing in Python admits NaN and Infinity; a NaN expiry would compare as never expired.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _jwks_client(settings: Settings) -> jwt.PyJWKClient:
    assert settings.oidc_jwks_url is not None
    return jwt.PyJWKClient(
        settings.oidc_jwks_url,
        cache_jwk_set=True,
        lifespan=settings.oidc_jwks_cache_seconds,
        cooldown_duration=settings.oidc_jwks_refetch_cooldown_seconds,
        timeout=settings.oidc_jwks_timeout_seconds,
    )
