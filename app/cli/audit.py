"""`leder audit`: seal the tamper-evident trail, and verify it."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import settings

if TYPE_CHECKING:
    from app.audit.verify import Verification

cli = typer.Typer(help="The tamper-evident audit trail (hash chain).", no_args_is_help=True)


@cli.command("seal")
def audit_seal() -> None:
    """Seal every committed audit row not yet in the chain (the worker does this every poll)."""
    from app.audit.chain import chain_key, seal_pending
    from app.core.db import create_engine, create_sessionmaker
    from app.core.migrations import migrate_on_start

    config = settings()
    migrate_on_start(config)

    async def run() -> int:
        engine = create_engine(config)
        try:
            return await seal_pending(create_sessionmaker(engine), chain_key(config))
        finally:
            await engine.dispose()

    typer.echo(f"sealed {asyncio.run(run())} audit rows")


@cli.command("verify")
def audit_verify(
    anchor: Annotated[
        str | None, typer.Option(help="A head printed earlier, SEQ:HASH: fail unless the chain still holds it.")
    ] = None,
) -> None:
    """Walk the audit chain and report the first row altered, removed or inserted (exit code 1).

    Seals nothing. When intact, prints the head: keep it somewhere the database's writers cannot reach,
    and pass it as --anchor later to prove nothing up to it has been rewritten since."""
    from app.audit.chain import chain_key
    from app.audit.verify import Anchor, verify
    from app.core.db import READ_ONLY_OPTION, create_engine, create_sessionmaker
    from app.core.migrations import migrate_on_start

    try:
        expected = Anchor.parse(anchor) if anchor is not None else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--anchor") from None
    config = settings()
    migrate_on_start(config)

    async def run() -> Verification:
        engine = create_engine(config)
        try:
            async with create_sessionmaker(engine)() as session:
                # Reads only: on SQLite, a deferred transaction that keeps no writer waiting.
                await session.connection(execution_options={READ_ONLY_OPTION: True})
                return await verify(session, chain_key(config), expected)
        finally:
            await engine.dispose()

    result = asyncio.run(run())
    unsealed = f"{result.unsealed} not yet sealed"
    if result.broken is not None:
        where = f"row {result.broken.row_id} (chain_seq {result.broken.chain_seq})"
        typer.echo(f"audit chain broken at {where}: {result.broken.fault.value}: {result.broken.detail}")
        typer.echo(f"{result.checked} rows intact before it; {unsealed}")
        raise typer.Exit(1)
    typer.echo(f"audit chain intact: {result.checked} rows; {unsealed}")
    typer.echo(f"head: {result.head_seq}:{result.head_hash}")
