"""OAuth 2.0 client credentials for integrators (RFC 6749 section 4.4)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta
from typing import Annotated, Literal
from urllib.parse import unquote

from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit import service as audit
from app.auth import service
from app.auth.deps import ClockDep, TokensDep
from app.core import rate_limits
from app.core.db import SessionDep
from app.core.errors import problem_response, problem_responses
from app.core.inputs import has_control_characters

router = APIRouter(prefix="/auth", tags=["auth"])


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105  (a token type, not a secret)
    expires_in: int
    scope: str


def _oauth_error(status: int, error: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    # Problem details, with RFC 6749's `error` member so OAuth client libraries understand it too.
    return problem_response(status, slug=f"oauth-{error}", detail=detail, headers=headers, error=error)


@router.post("/token", response_model=TokenResponse, responses=problem_responses(400, 401, 422, 429))
async def issue_client_token(
    request: Request,
    session: SessionDep,
    tokens: TokensDep,
    clock: ClockDep,
    grant_type: Annotated[str, Form(max_length=50)],
    client_id: Annotated[str | None, Form(max_length=64)] = None,
    client_secret: Annotated[str | None, Form(max_length=200)] = None,
    scope: Annotated[str | None, Form(max_length=500)] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> TokenResponse | JSONResponse:
    """Exchange an integrator's client id and secret for a bearer token (form-encoded; the credentials
    in the body or as HTTP Basic). `scope` narrows the token to some of the client's scopes."""
    if grant_type != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "Only client_credentials is supported.")
    basic = _basic_credentials(authorization)
    if basic is not None:
        client_id, client_secret = basic
    settings = request.app.state.settings
    now = clock.now()
    if any(has_control_characters(value or "") for value in (client_id, client_secret, scope)):
        return _oauth_error(400, "invalid_request", "The credentials hold characters no client id or secret has.")
    # Failed logins are counted per address: past the limit, one try per back-off (429 and Retry-After between).
    address = request.client.host if request.client else "unknown"
    key = f"token-address:{address}"
    wait = await rate_limits.backoff(
        session,
        key,
        settings.token_failures_per_address,
        timedelta(seconds=settings.token_failure_window_seconds),
        timedelta(seconds=settings.token_failure_backoff_seconds),
        now,
    )
    if wait is not None:
        await _audit_attempt(session, "rate_limited", client_id, now)
        return problem_response(429, detail="Too many failed attempts. Wait and try again.",
                                headers={"Retry-After": str(wait)})  # fmt: skip
    ttl = timedelta(seconds=settings.client_token_ttl_seconds)
    outcome, answer = "unauthenticated", None
    try:
        if not client_id or not client_secret:
            raise service.ClientAuthenticationFailed
        token, scopes = await service.client_credentials_token(session, tokens, client_id, client_secret, scope, ttl)
        outcome = "allowed"
        answer = TokenResponse(access_token=token, expires_in=int(ttl.total_seconds()), scope=" ".join(scopes))
    except service.ClientAuthenticationFailed:
        pass
    except service.ScopeNotGranted:
        outcome = "denied"
    await _audit_attempt(session, outcome, client_id, now)
    if answer is not None:
        return answer
    if outcome == "unauthenticated":
        rate_limits.count_attempt(session, key, now)
    if outcome == "denied":
        return _oauth_error(400, "invalid_scope", "The client was not granted that scope.")
    return _oauth_error(401, "invalid_client", "Client authentication failed.", {"WWW-Authenticate": "Basic"})


async def _audit_attempt(session: AsyncSession, outcome: str, client_id: str | None, now: datetime) -> None:
    # Every attempt is audited, in this request's transaction (a refusal here is an answer, not an error).
    await audit.record(
        session,
        principal=None,
        action="auth.token",
        outcome=outcome,
        at=now,
        object_type="integrator_client",
        object_ids=[client_id[:64]] if client_id else [],
    )


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    # RFC 6749 2.3.1: both parts are form-urlencoded before Basic encoding.
    return (unquote(client_id), unquote(secret)) if sep else None
