"""What every `leder` command shares: settings, one transaction, one-line failures, audit rows, lists."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.config import Settings
from app.core.errors import ProblemError, plain_message

T = TypeVar("T")

# The audit trail's actor for what an operator does with this command: the service knows the shell,
# not the person at it (the host's own login records say who that was).
CLI_ACTOR = "cli"


def fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        # One line per bad setting, naming its variable; never its value (it may be a secret).
        for error in exc.errors():
            name = "LEDER_" + "_".join(str(part) for part in error["loc"]).upper() if error["loc"] else "settings"
            typer.echo(f"error: {name}: {plain_message(error['msg'])}", err=True)
        raise typer.Exit(code=2) from None


def in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one unit of work in one transaction, after bringing the schema to head."""
    from app.core.db import create_engine, create_sessionmaker
    from app.core.migrations import migrate_on_start

    config = settings()
    migrate_on_start(config)

    async def run() -> T:
        engine = create_engine(config)
        try:
            async with create_sessionmaker(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except ProblemError as exc:
        raise fail(exc.detail or exc.title or "refused") from None


async def audited(session: AsyncSession, action: str, object_type: str, object_id: str) -> None:
    """Record an operator's change in the transaction that makes it, as the API records its own."""
    from app.audit.service import record
    from app.core.clock import SystemClock

    await record(
        session,
        principal=None,
        actor=CLI_ACTOR,
        action=action,
        outcome="allowed",
        at=SystemClock().now(),
        object_type=object_type,
        object_ids=[object_id],
    )


def validated(model: type[T], **values: object) -> T:
    try:
        return model.model_validate(values)  # type: ignore[attr-defined, no-any-return]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "input"
        raise fail(f"{where}: {plain_message(first['msg'])}") from None


# The options every list command takes.
AsJson = Annotated[bool, typer.Option("--json", help="A JSON array instead of a table.")]
ActiveOnly = Annotated[bool, typer.Option("--active/--all", help="Only the active ones, or all (marked).")]

Cell = str | list[str] | None


def print_rows(rows: Sequence[Mapping[str, Cell]], columns: Sequence[str], *, as_json: bool) -> None:
    """Rows as a JSON array (for scripts), or as an aligned table with a header line (for people)."""
    if as_json:
        typer.echo(json.dumps([{c: row[c] for c in columns} for row in rows], indent=2, ensure_ascii=False))
        return
    table = [list(columns), *([_text(row[c]) for c in columns] for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    for line in table:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def _text(value: Cell) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ",".join(value) or "-"
    return value
