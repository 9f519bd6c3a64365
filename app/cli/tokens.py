"""`leder token`: bearer tokens for staff users (integrators get theirs from POST /auth/token)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Annotated

import typer

from app.cli.common import fail, in_transaction, settings
from app.core.config import ConfigurationError

cli = typer.Typer(help="Bearer tokens for staff users.", no_args_is_help=True)

_TTL = re.compile(r"^(\d+)([smhd]?)$")
_TTL_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_ttl(text: str) -> timedelta:
    match = _TTL.match(text.strip())
    if not match or len(match[1]) > 9:
        raise typer.BadParameter("use a number with s, m, h or d, e.g. 8h")
    return timedelta(seconds=int(match[1]) * _TTL_UNIT[match[2]])


@cli.command("issue")
def token_issue(
    user: Annotated[uuid.UUID, typer.Option(help="The staff user's id.")],
    ttl: Annotated[
        str | None, typer.Option(help="Lifetime, e.g. 30m, 8h, 1d. Default: LEDER_TOKEN_DEFAULT_TTL_SECONDS.")
    ] = None,
) -> None:
    """Print a bearer token for an existing, active staff user."""
    from app.auth.service import issue_user_token
    from app.auth.tokens import TokenService
    from app.core.clock import SystemClock
    from app.users.service import get_user

    config = settings()
    lifetime = parse_ttl(ttl) if ttl else timedelta(seconds=config.token_default_ttl_seconds)
    if not timedelta(0) < lifetime <= timedelta(seconds=config.token_max_ttl_seconds):
        raise fail(f"--ttl must be more than 0 and at most {config.token_max_ttl_seconds}s")
    staff = in_transaction(lambda s: get_user(s, user))
    if not staff.active:
        raise fail("that user is deactivated")
    try:
        typer.echo(issue_user_token(TokenService(config, SystemClock()), staff, lifetime))
    except ConfigurationError as exc:
        raise fail(str(exc)) from None
