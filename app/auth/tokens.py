"""Bearer tokens, behind one small module (PyJWT; python-jose is unmaintained and unsafe by default).

Two issuers, never one mixed allow-list of algorithms:
- the service's own tokens: HS256 with the service secret, our issuer and audience;
- optionally an external identity provider's (NHS CIS2 in production): RS256/ES256 keys from a JWKS
  file, with its own issuer and audience, the key chosen by `kid` and the algorithm by the key's type.
Every token must carry exp, iat, iss, aud and sub. Header-supplied keys (jwk, jku, x5u) are ignored
and nothing is ever fetched.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

import jwt
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

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


@dataclass(frozen=True)
class _ExternalKey:
    key: Any
    algorithm: str


class TokenService:
    def __init__(self, settings: Settings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        self._external_keys = _load_jwks(settings) if settings.oidc_jwks_file else {}

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
        return jwt.encode(claims, self._settings.signing_key, algorithm=SERVICE_ALGORITHM)

    def verify(self, token: str) -> VerifiedToken:
        if len(token) > self._settings.token_max_bytes:
            raise InvalidToken("token too large")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken("malformed token") from None
        alg = header.get("alg")
        if alg == SERVICE_ALGORITHM:
            return self._decode(
                token,
                self._settings.signing_key,
                SERVICE_ALGORITHM,
                self._settings.token_issuer,
                self._settings.token_audience,
                TokenIssuer.service,
            )
        kid = header.get("kid")
        external = self._external_keys.get(kid) if isinstance(kid, str) else None
        if external is None or alg != external.algorithm:
            raise InvalidToken("unsupported token")
        assert self._settings.oidc_issuer
        assert self._settings.oidc_audience
        return self._decode(
            token,
            external.key,
            external.algorithm,
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


def _load_jwks(settings: Settings) -> dict[str, _ExternalKey]:
    """Public keys of the external identity provider, by kid. Symmetric keys are refused outright."""
    assert settings.oidc_jwks_file is not None
    document = json.loads(settings.oidc_jwks_file.read_text())
    keys: dict[str, _ExternalKey] = {}
    for jwk in document.get("keys", []):
        kid, kty = jwk.get("kid"), jwk.get("kty")
        if not kid:
            raise ValueError("every key in the JWKS file needs a kid")
        if kty == "RSA":
            keys[kid] = _ExternalKey(RSAAlgorithm.from_jwk(jwk), "RS256")
        elif kty == "EC" and jwk.get("crv") == "P-256":
            keys[kid] = _ExternalKey(ECAlgorithm.from_jwk(jwk), "ES256")
        else:
            raise ValueError(f"JWKS key {kid}: only RSA and EC P-256 public keys are accepted")
    return keys
