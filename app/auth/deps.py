"""Dependencies that authenticate the caller and enforce the policy table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth.callers import CallerCache
from app.auth.policy import INTEGRATOR_SCOPE, POLICY, Action, Role
from app.auth.service import Principal, resolve_principal
from app.auth.tokens import InvalidToken, TokenService
from app.core.clock import Clock
from app.core.db import SessionDep
from app.core.errors import Forbidden, Unauthenticated

_bearer = HTTPBearer(auto_error=False, description="A token from `leder token issue` or `POST /auth/token`.")


async def get_tokens(request: Request) -> TokenService:  # async: no thread hand-off per request
    tokens: TokenService = request.app.state.tokens
    return tokens


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


TokensDep = Annotated[TokenService, Depends(get_tokens)]
ClockDep = Annotated[Clock, Depends(get_clock)]


async def authenticate(
    request: Request,
    session: SessionDep,
    tokens: TokenService,
    credentials: HTTPAuthorizationCredentials | None,
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthenticated("A bearer token is required.")
    try:
        clock: Clock = request.app.state.clock
        now = clock.now()
        verified = await tokens.verify(credentials.credentials)
        callers: CallerCache = request.app.state.callers
        principal = callers.get(verified, now)
        if principal is None:
            principal = await resolve_principal(session, verified, now, request.app.state.settings)
            callers.put(verified, principal, now)
    except InvalidToken as exc:
        raise Unauthenticated(f"The bearer token was refused: {exc}.") from None
    request.state.principal = principal
    return principal


def authorize(principal: Principal, action: Action) -> None:
    """Refuse (403) a principal whose role, or integrator scope, the policy table does not allow."""
    if principal.role not in POLICY[action]:
        raise Forbidden(f"The {principal.role} role may not {action.value.replace('.', ' ')}.")
    if principal.role is Role.integrator:
        if action not in INTEGRATOR_SCOPE:
            raise Forbidden("Integrator clients may not do this.")  # fail closed on a missing row
        needed = INTEGRATOR_SCOPE[action]
        if needed is not None and needed not in principal.scopes:
            raise Forbidden(f"This client lacks the {needed} scope.")


def allow(action: Action) -> Callable[..., Awaitable[Principal]]:
    """The dependency a route uses to say which action it performs; the policy table says who may."""

    async def check(
        request: Request,
        session: SessionDep,
        tokens: TokensDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        request.state.action = action  # first, so that a refused token is audited against the action
        principal = await authenticate(request, session, tokens, credentials)
        authorize(principal, action)
        return principal

    check.leder_action = action  # type: ignore[attr-defined]  # read by the route-policy test
    return check
