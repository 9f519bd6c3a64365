"""The acting-context dependency. No `from __future__ import annotations` here: FastAPI must see the
annotations of the inner function as objects, and they refer to the enclosing function's `action`."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from app.auth.deps import ClockDep, allow
from app.auth.policy import Action
from app.auth.service import Principal
from app.reviews.service import Context


def acting(action: Action) -> Callable[..., Awaitable[Context]]:
    """The caller, allowed to perform `action`, with the time and the SLA settings."""

    async def build(
        request: Request, principal: Annotated[Principal, Depends(allow(action))], clock: ClockDep
    ) -> Context:
        return Context(principal, clock.now(), request.app.state.settings.sla_at_risk_days)

    return build
