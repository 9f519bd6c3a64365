"""`leder clients`: integrator clients (OAuth 2.0 client credentials). Secrets are printed once, kept hashed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from app.auth.policy import Scope
from app.cli.common import ActiveOnly, AsJson, audited, in_transaction, print_rows

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from app.auth.models import IntegratorClient

cli = typer.Typer(help="Integrator clients (OAuth 2.0 client credentials).", no_args_is_help=True)

ClientId = Annotated[str, typer.Argument(help="The client's id (lc_...).")]


@cli.command("add")
def clients_add(
    name: Annotated[str, typer.Option(help="The integrating system.")],
    scope: Annotated[list[Scope], typer.Option(help="Repeat for each scope.")],
    area: Annotated[list[str], typer.Option(help="ODS code; repeat for each area.")],
) -> None:
    """Register an integrator client; prints its id and secret (shown once, stored hashed)."""
    from app.auth.service import create_client
    from app.core.clock import SystemClock

    async def work(session: AsyncSession) -> tuple[IntegratorClient, str]:
        client, secret = await create_client(session, name, scope, area, SystemClock().now())
        await audited(session, "client.create", "integrator_client", client.client_id)
        return client, secret

    client, secret = in_transaction(work)
    typer.echo(f"client_id={client.client_id}\nclient_secret={secret}")


@cli.command("list")
def clients_list(
    active_only: ActiveOnly = False,
    as_json: AsJson = False,
) -> None:
    """List integrator clients, oldest first: id, name, status, scopes, areas (never a secret)."""
    from app.auth.service import list_clients

    clients = [c for c in in_transaction(list_clients) if c.active or not active_only]
    rows = [
        {
            "client_id": c.client_id,
            "name": c.name,
            "status": "active" if c.active else "deactivated",
            "scopes": list(c.scopes),
            "areas": list(c.areas),
        }
        for c in clients
    ]
    print_rows(rows, ["client_id", "name", "status", "scopes", "areas"], as_json=as_json)


@cli.command("rotate-secret")
def clients_rotate_secret(client_id: ClientId) -> None:
    """Give the client a new secret and print it (once; only its hash is kept).

    The old secret is refused by POST /auth/token at once, with no overlap: hand the new one over first.
    Tokens already issued last until they expire; to stop those too, deactivate the client."""
    from app.auth.service import rotate_client_secret

    async def work(session: AsyncSession) -> str:
        secret = await rotate_client_secret(session, client_id)
        await audited(session, "client.rotate_secret", "integrator_client", client_id)
        return secret

    secret = in_transaction(work)
    typer.echo(f"client_id={client_id}\nclient_secret={secret}")


@cli.command("deactivate")
def clients_deactivate(client_id: ClientId) -> None:
    """Deactivate an integrator client: its tokens are refused from the next request, and it gets no new ones."""
    from app.auth.service import deactivate_client

    async def work(session: AsyncSession) -> None:
        await deactivate_client(session, client_id)
        await audited(session, "client.deactivate", "integrator_client", client_id)

    in_transaction(work)
    typer.echo("deactivated")
