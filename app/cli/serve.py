"""Running the service: the API, the worker beside it, its OpenAPI document, and the demo data to try it with."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import fail, in_transaction, settings
from app.core.config import ConfigurationError


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


def openapi(
    output: Annotated[Path, typer.Option(help="Where to write the spec.")] = Path("openapi/openapi.json"),
) -> None:
    """Write the OpenAPI document the service serves."""
    from app.main import create_app

    spec = create_app(settings()).openapi()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(spec, indent=2, ensure_ascii=False) + "\n")
    typer.echo(f"wrote {output}")


def demo(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Do nothing if any area exists.")] = False,
) -> None:
    """Load a small, realistic, entirely fictional data set and print tokens to explore it with."""
    from app.cli.demo import load_demo

    config = settings()
    lines = in_transaction(lambda s: load_demo(s, config, if_empty=if_empty))
    typer.echo("\n".join(lines))
