"""`leder import`: notifications from a file, through the API's validation, as an integrator client."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import fail, settings

if TYPE_CHECKING:
    from app.notifications.batch import ItemResult
    from app.notifications.importing import ImportSummary


def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A .csv or .jsonl file.")],
    client: Annotated[str, typer.Option(help="The integrator client the rows come from: its areas apply.")],
    errors: Annotated[Path | None, typer.Option(help="Where to list rejected rows [default: FILE.errors.csv].")] = None,
    chunk: Annotated[int, typer.Option(min=1, max=5000, help="Rows per transaction.")] = 1000,
) -> None:
    """Import notifications from CSV (dotted headers) or JSON Lines, with the API's validation.

    Re-running the same file stores nothing twice. Rejected rows (line and reason) go to the errors
    file; the exit code is 1 if there were any."""
    from app.auth.policy import Scope
    from app.auth.service import client_principal
    from app.auth.tokens import InvalidToken
    from app.core.clock import SystemClock
    from app.core.db import create_engine, create_sessionmaker
    from app.core.migrations import migrate_on_start
    from app.core.spreadsheets import SafeCsvWriter
    from app.notifications.batch import ItemStatus
    from app.notifications.importing import Row, import_rows, read_rows

    config = settings()
    migrate_on_start(config)
    report_path = errors or file.with_name(file.name + ".errors.csv")

    async def run() -> ImportSummary:
        engine = create_engine(config)
        sessionmaker = create_sessionmaker(engine)
        try:
            async with sessionmaker() as session:
                principal = await client_principal(session, client)
            if Scope.notifications_write not in principal.scopes:
                raise fail(f"client {client} lacks the notifications:write scope")
            with (
                file.open("rb") as stream,
                report_path.open("w", newline="", encoding="utf-8") as report,
                typer.progressbar(length=file.stat().st_size, label="Importing", file=sys.stderr) as bar,
            ):
                writer = SafeCsvWriter(report)
                writer.writerow(["line", "status", "reason"])
                read = 0

                async def on_result(row: Row, result: ItemResult) -> None:
                    nonlocal read
                    if result.status not in (ItemStatus.created, ItemStatus.already_recorded):
                        writer.writerow([row.line, result.status.value, _reason(result)])
                    bar.update(stream.tell() - read)
                    read = stream.tell()

                rows = read_rows(stream, file)
                return await import_rows(sessionmaker, principal, rows, SystemClock().now, on_result, chunk)
        except InvalidToken:
            raise fail(f"no active integrator client {client}") from None
        finally:
            await engine.dispose()

    summary = asyncio.run(run())
    counts = ", ".join(f"{n} {status.value.replace('_', ' ')}" for status, n in summary.counts.items())
    typer.echo(f"{summary.rows} rows: {counts}")
    rejected = summary.counts[ItemStatus.invalid] + summary.counts[ItemStatus.refused]
    if rejected or summary.counts[ItemStatus.duplicate]:
        typer.echo(f"rows not stored, with the reasons: {report_path}")
    if rejected:
        raise typer.Exit(1)


def _reason(result: ItemResult) -> str:
    # Each field's error, or else the detail (which, beside field errors, only repeats them).
    parts = [f"{e.field}: {e.message}" for e in result.errors or []] or ([result.detail] if result.detail else [])
    if result.id is not None:
        parts.append(f"existing notification {result.id}")
    return "; ".join(parts)
