"""The `leder` command: serve, migrate, and the operator's tasks. Same settings as the service."""

from __future__ import annotations

import sys

import sqlalchemy.exc
import typer

from app.cli import areas, audit, clients, database, importing, serve, tokens, users
from app.core.config import ConfigurationError

# Locals in tracebacks could hold personal data: never print them.
cli = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False, pretty_exceptions_show_locals=False)
cli.command()(serve.serve)
cli.command()(serve.worker)
cli.command("import")(importing.import_file)
cli.command()(database.migrate)
cli.command()(serve.openapi)
cli.command()(database.backup)
cli.command()(serve.demo)
cli.add_typer(areas.cli, name="areas")
cli.add_typer(users.cli, name="users")
cli.add_typer(clients.cli, name="clients")
cli.add_typer(tokens.cli, name="token")
cli.add_typer(audit.cli, name="audit")


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
