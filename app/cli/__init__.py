"""The `leder` command: serve, migrate, and the operator's tasks. Same settings as the service."""

from __future__ import annotations

import asyncio
import json
import re
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import sqlalchemy.exc
import typer
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.policy import STAFF_ROLES, Role, Scope
from app.core.config import ConfigurationError, Settings
from app.core.errors import ProblemError, plain_message

# The roles `users add` accepts (STAFF_ROLES), as choices: --help lists exactly these.
StaffRole = StrEnum("StaffRole", {role.value: role.value for role in Role if role in STAFF_ROLES})  # type: ignore[misc]

if TYPE_CHECKING:
    from app.audit.verify import Verification
    from app.notifications.batch import ItemResult
    from app.notifications.importing import ImportSummary

T = TypeVar("T")

# Locals in tracebacks could hold personal data: never print them.
cli = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False, pretty_exceptions_show_locals=False)
areas_cli = typer.Typer(help="Commissioning areas.", no_args_is_help=True)
users_cli = typer.Typer(help="Staff users.", no_args_is_help=True)
clients_cli = typer.Typer(help="Integrator clients (OAuth 2.0 client credentials).", no_args_is_help=True)
token_cli = typer.Typer(help="Bearer tokens for staff users.", no_args_is_help=True)
audit_cli = typer.Typer(help="The tamper-evident audit trail (hash chain).", no_args_is_help=True)
cli.add_typer(areas_cli, name="areas")
cli.add_typer(users_cli, name="users")
cli.add_typer(clients_cli, name="clients")
cli.add_typer(token_cli, name="token")
cli.add_typer(audit_cli, name="audit")


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


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Migrate the database to head (unless LEDER_MIGRATE_ON_START=false), then serve the API (docs at /docs)."""
    import uvicorn

    from app.core.logging import configure_logging
    from app.core.migrations import migrate_on_start

    config = settings()
    # Before anything logs: the migration, and uvicorn's supervisor (which never builds the app).
    configure_logging(config.log_level)
    try:
        config.check_startable()  # refuse unsafe defaults (secret, database), before binding the port
    except ConfigurationError as exc:
        raise fail(str(exc)) from None
    migrate_on_start(config)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_config=None,
        # Client addresses (used to rate-limit family codes) come from X-Forwarded-For only when a
        # trusted proxy is configured; otherwise every family behind the proxy would share one limit.
        proxy_headers=config.forwarded_allow_ips is not None,
        forwarded_allow_ips=config.forwarded_allow_ips,
    )


@cli.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="Sweep once and exit (for cron, or a benchmark).")] = False,
) -> None:
    """Run beside the API: sweep the SLA clocks every LEDER_WORKER_SWEEP_INTERVAL_SECONDS, announcing
    each review's crossing into at risk and into breached once. Stops cleanly on SIGTERM."""
    from app.core.clock import SystemClock
    from app.core.logging import configure_logging
    from app.core.migrations import migrate_on_start
    from app.worker.runner import AnotherWorkerRuns, Worker, install_signal_handlers

    config = settings()
    configure_logging(config.log_level)
    migrate_on_start(config)
    runner = Worker(config, SystemClock())

    async def run() -> None:
        install_signal_handlers(runner)
        result = await runner.run(once=once)
        if once:
            typer.echo(f"sla sweep: {result.changed} changed, {result.announced} announced")

    try:
        asyncio.run(run())
    except AnotherWorkerRuns as exc:
        raise fail(str(exc)) from None


@cli.command("import")
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


@cli.command()
def migrate() -> None:
    """Bring the database schema to the latest migration (one migrator at a time; others wait)."""
    import logging

    from app.core.logging import configure_logging
    from app.core.migrations import upgrade_to_head

    config = settings()
    # A deployment's migrate job: its lines go to the same log pipeline as the API's, as JSON.
    configure_logging(config.log_level)
    upgrade_to_head(config, quiet=True)
    logging.getLogger("leder.migrate").info("database at head")


@cli.command()
def openapi(
    output: Annotated[Path, typer.Option(help="Where to write the spec.")] = Path("openapi/openapi.json"),
) -> None:
    """Write the OpenAPI document the service serves."""
    from app.main import create_app

    spec = create_app(settings()).openapi()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(spec, indent=2, ensure_ascii=False) + "\n")
    typer.echo(f"wrote {output}")


@areas_cli.command("add")
def areas_add(
    ods: Annotated[str, typer.Option(help="ODS code, e.g. 15F.")],
    name: Annotated[str, typer.Option(help="The area's name.")],
    region: Annotated[str | None, typer.Option(help="NHS England region.")] = None,
) -> None:
    """Add a commissioning area."""
    from app.areas.schemas import AreaCreate
    from app.areas.service import create_area
    from app.core.clock import SystemClock

    data = validated(AreaCreate, ods_code=ods, name=name, region=region)
    area = in_transaction(lambda s: create_area(s, data, SystemClock().now()))
    typer.echo(area.ods_code)


@users_cli.command("add")
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
    user = in_transaction(lambda s: create_user(s, data, SystemClock().now()))
    typer.echo(str(user.id))


@users_cli.command("deactivate")
def users_deactivate(user_id: Annotated[uuid.UUID, typer.Argument(help="The user's id.")]) -> None:
    """Deactivate a staff user: their tokens stop working at once."""
    from app.users.schemas import UserUpdate
    from app.users.service import update_user

    in_transaction(lambda s: update_user(s, user_id, UserUpdate(active=False)))
    typer.echo("deactivated")


@clients_cli.command("add")
def clients_add(
    name: Annotated[str, typer.Option(help="The integrating system.")],
    scope: Annotated[list[Scope], typer.Option(help="Repeat for each scope.")],
    area: Annotated[list[str], typer.Option(help="ODS code; repeat for each area.")],
) -> None:
    """Register an integrator client; prints its id and secret (shown once, stored hashed)."""
    from app.auth.service import create_client
    from app.core.clock import SystemClock

    client, secret = in_transaction(lambda s: create_client(s, name, scope, area, SystemClock().now()))
    typer.echo(f"client_id={client.client_id}\nclient_secret={secret}")


_TTL = re.compile(r"^(\d+)([smhd]?)$")
_TTL_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_ttl(text: str) -> timedelta:
    match = _TTL.match(text.strip())
    if not match or len(match[1]) > 9:
        raise typer.BadParameter("use a number with s, m, h or d, e.g. 8h")
    return timedelta(seconds=int(match[1]) * _TTL_UNIT[match[2]])


@token_cli.command("issue")
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


@cli.command()
def backup(
    target: Annotated[Path, typer.Argument(dir_okay=False, help="The backup file to write (must not exist).")],
) -> None:
    """Back up the embedded SQLite database while the service runs (SQLite's online backup API).

    PostgreSQL: use pg_dump or base backups instead (docs/operations.md)."""
    from app.core.backup import BackupRefused, backup_sqlite, sqlite_database

    try:
        backup_sqlite(sqlite_database(settings()), target)
    except BackupRefused as exc:
        raise fail(str(exc)) from None
    typer.echo(f"backed up to {target}")
    typer.echo("keep beside it: the data directory's secret_key, and LEDER_AUDIT_CHAIN_KEY if set")


@audit_cli.command("seal")
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


@audit_cli.command("verify")
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


@cli.command()
def demo(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Do nothing if any area exists.")] = False,
) -> None:
    """Load a small, realistic, entirely fictional data set and print tokens to explore it with."""
    from app.cli.demo import load_demo

    config = settings()
    lines = in_transaction(lambda s: load_demo(s, config, if_empty=if_empty))
    typer.echo("\n".join(lines))


def validated(model: type[T], **values: object) -> T:
    try:
        return model.model_validate(values)  # type: ignore[attr-defined, no-any-return]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "input"
        raise fail(f"{where}: {plain_message(first['msg'])}") from None


def main() -> None:
    try:
        cli()
    except ConfigurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except sqlalchemy.exc.DBAPIError as exc:
        # Unreachable or refusing database at start: one line, not the driver's traceback (nor the URL).
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        typer.echo(f"error: cannot use the database (check LEDER_DATABASE_URL): {reason}", err=True)
        sys.exit(2)
