"""`leder users`: staff users (families and integrators are not users)."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from app.auth.policy import STAFF_ROLES, Role
from app.cli.common import ActiveOnly, AsJson, audited, in_transaction, print_rows, validated

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from app.users.models import StaffUser

cli = typer.Typer(help="Staff users.", no_args_is_help=True)

# The roles `users add` accepts (STAFF_ROLES), as choices: --help lists exactly these.
StaffRole = StrEnum("StaffRole", {role.value: role.value for role in Role if role in STAFF_ROLES})  # type: ignore[misc]


@cli.command("add")
def users_add(
    role: Annotated[StaffRole, typer.Option(help="The staff role (families and integrators are not users).")],
    name: Annotated[str, typer.Option()],
    email: Annotated[str, typer.Option()],
    area: Annotated[str | None, typer.Option(help="ODS code; coordinators and reviewers only.")] = None,
    external_subject: Annotated[str | None, typer.Option(help="`sub` at the identity provider.")] = None,
) -> None:
    """Add a staff user and print their id."""
    from app.core.clock import SystemClock
    from app.users.schemas import UserCreate
    from app.users.service import create_user

    data = validated(
        UserCreate, role=Role(role), area_ods=area, name=name, email=email, external_subject=external_subject
    )

    async def work(session: AsyncSession) -> StaffUser:
        user = await create_user(session, data, SystemClock().now())
        await audited(session, "user.create", "staff_user", str(user.id))
        return user

    typer.echo(str(in_transaction(work).id))


@cli.command("deactivate")
def users_deactivate(user_id: Annotated[uuid.UUID, typer.Argument(help="The user's id.")]) -> None:
    """Deactivate a staff user: their tokens stop working at once."""
    from app.users.schemas import UserUpdate
    from app.users.service import update_user

    async def work(session: AsyncSession) -> None:
        await update_user(session, user_id, UserUpdate(active=False))
        await audited(session, "user.deactivate", "staff_user", str(user_id))

    in_transaction(work)
    typer.echo("deactivated")


@cli.command("list")
def users_list(
    active_only: ActiveOnly = False,
    as_json: AsJson = False,
) -> None:
    """List staff users, oldest first: id, role, area, status, email (enough to pick one to deactivate)."""
    from app.users.service import list_users

    users = [u for u in in_transaction(list_users) if u.active or not active_only]
    rows = [
        {
            "id": str(u.id),
            "role": u.role,
            "area": u.area_ods,
            "status": "active" if u.active else "deactivated",
            "email": u.email,
        }
        for u in users
    ]
    print_rows(rows, ["id", "role", "area", "status", "email"], as_json=as_json)
