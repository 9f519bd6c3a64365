"""CPU time per request, in-process: the API against the raw-SQL reference, free of load-generator noise (issue 16).

    .venv/bin/python -m bench.inprocess [--notifications 100000] [--rounds 10] [--batch 50] [--keep]

Both apps run in this one process and are called directly through httpx.ASGITransport (no sockets, no
uvicorn): the service as `app.main.create_app` builds it with production settings (a real secret, PostgreSQL,
the feed relay off, its access log formatted as in production but written to /dev/null), and the reference
(bench/reference.py), which verifies the same bearer tokens and does the same user-needed work in raw SQL.
For each scenario, after a warm-up, `--rounds` rounds of `--batch` requests go to each in turn (the order
alternating round by round), one request at a time; `time.process_time()` over a batch gives the CPU per
request of this Python process, `time.perf_counter()` each request's wall time. PostgreSQL's own CPU is in its
backend processes and not counted: this measures the Python side, where the issue's profile says the time goes.

The printed ratio is reference CPU / API CPU per request (median of the rounds): 1.0 would be as cheap as raw
SQL; issue 16's targets are at least 0.5 for read one and list 50, and 0.4 for create. "SQL/req" counts the
statements the API sends per request (SQLAlchemy's before_cursor_execute on the app's engine; an executemany
is one).

The database: a seeded template `leder_bench_inproc_seed_N` (bench/population.py, built once per size and
reused), cloned into `leder_bench_inproc` for the run and dropped after it; `--keep` keeps the clone, and
`--drop-template` drops the template too.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
from sqlalchemy import event

from app.core.clock import SystemClock
from app.core.config import Settings
from app.main import create_app
from bench import reference
from bench import scenarios as sc
from bench.population import AREAS, build_template, clone, plain

# httpx's ASGITransport tries `import sniffio` on every request; it is not installed, and a failed import is not
# remembered, so each request of both apps paid a search of the import path (a third of a millisecond). Marking
# it absent makes that import fail at once: harness cost, not the apps', out of both sides of the ratio.
sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

PREFIX = "leder_bench_inproc"
SECRET = "leder-bench-inproc-signing-key-2b7e151628aed2a6abf7158809cf4f3c"  # noqa: S105  (scratch databases only)
Factory = Callable[[int], list[sc.Request]]  # how many requests -> the requests (each app gets its own)


@dataclass
class Side:
    """One app's figures for one scenario."""

    cpu_per_request: list[float] = field(default_factory=list)  # one per round, in seconds
    wall: list[float] = field(default_factory=list)  # every measured request, in seconds
    statements: int = 0
    requests: int = 0
    errors: int = 0
    first_error: str | None = None


@dataclass
class Scenario:
    label: str
    status: int
    factory: Factory
    cycle: bool = True  # reads may repeat; writes are each used once


async def send(client: httpx.AsyncClient, request: sc.Request) -> httpx.Response:
    return await client.request(
        request["method"], request["path"], headers=request.get("headers"), json=request.get("body")
    )


async def batch(client: httpx.AsyncClient, requests: list[sc.Request], expected: int, side: Side | None) -> None:
    """Send these requests one after another; with `side`, record CPU and wall time."""
    cpu = time.process_time()
    for request in requests:
        started = time.perf_counter()
        response = await send(client, request)
        took = time.perf_counter() - started
        if side is not None:
            side.wall.append(took)
            if response.status_code != expected:
                side.errors += 1
                side.first_error = side.first_error or f"HTTP {response.status_code}: {response.text[:200]}"
    if side is not None:
        side.cpu_per_request.append((time.process_time() - cpu) / len(requests))
        side.requests += len(requests)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else float("nan")


async def measure(
    scenario: Scenario, clients: dict[str, httpx.AsyncClient], counter: list[int], rounds: int, size: int, warmup: int
) -> dict[str, Side]:
    sides = {name: Side() for name in clients}
    pending: dict[str, list[sc.Request]] = {}
    for name, client in clients.items():
        requests = scenario.factory(warmup + rounds * size)
        if scenario.cycle:  # a read's pool may be smaller than the run: go round it
            requests = [requests[i % len(requests)] for i in range(warmup + rounds * size)]
        await batch(client, requests[:warmup], scenario.status, None)
        pending[name] = requests[warmup:]
    names = list(clients)
    for index in range(rounds):
        for name in names if index % 2 == 0 else reversed(names):
            before = counter[0]
            await batch(clients[name], pending[name][index * size : (index + 1) * size], scenario.status, sides[name])
            sides[name].statements += counter[0] - before
    return sides


def report(results: list[tuple[str, dict[str, Side]]], args: argparse.Namespace) -> None:
    print(
        f"\nIn-process, {args.notifications:,} notifications, {args.rounds} rounds of {args.batch} requests each "
        f"after {args.warmup} warm-up; CPU = this process's time.process_time() per request (median of rounds)\n"
    )
    head = (
        f"{'scenario':<26} {'API ms CPU':>10} {'ref ms CPU':>10} {'ratio':>6} {'SQL/req':>7}  "
        f"{'API p50/p95 ms':>15} {'ref p50/p95 ms':>15}  errors"
    )
    print(head)
    print("-" * len(head))
    for label, sides in results:
        api, ref = sides["API"], sides["reference"]
        api_cpu, ref_cpu = statistics.median(api.cpu_per_request), statistics.median(ref.cpu_per_request)
        errors = f"{api.errors}/{ref.errors}"
        print(
            f"{label:<26} {api_cpu * 1000:>10.2f} {ref_cpu * 1000:>10.2f} {ref_cpu / api_cpu:>6.2f} "
            f"{api.statements / max(1, api.requests):>7.1f}  "
            f"{percentile(api.wall, 0.5) * 1000:>7.2f}/{percentile(api.wall, 0.95) * 1000:<7.2f} "
            f"{percentile(ref.wall, 0.5) * 1000:>7.2f}/{percentile(ref.wall, 0.95) * 1000:<7.2f}  {errors}"
        )
        for name, side in sides.items():
            if side.first_error:
                print(f"  {name} first error: {side.first_error}")
    print(
        "\nratio: reference CPU / API CPU (higher is better; issue 16 asks >= 0.5 for reads and lists, >= 0.4 for"
        " create). SQL/req: statements the API sent per request. errors: API/reference answers other than expected."
    )


def scenarios(url: str, settings: Settings, count: int) -> list[Scenario]:
    """The requests of each scenario, from the cloned database (tokens from bench/scenarios.py)."""
    today = datetime.now(UTC).date()
    with psycopg.connect(plain(url)) as connection:
        actors = sc.Actors.load(connection, settings)
        areas = sorted(actors.coordinators)
        reads = sc.reads_by_coordinators(connection, actors, areas, min(count, 5000))
        deep = sc.deep_pages(connection, actors, min(count, 2000), today)
    pages = sc.first_pages(actors, areas, today)
    serial = [900_000_000]

    def creates(n: int) -> list[sc.Request]:
        serial[0] += 10_000_000  # every call numbered apart: no body is a duplicate of another
        return sc.creates(actors, sc.notification_bodies(serial[0], n, areas, today))

    return [
        Scenario("read one (coordinator)", 200, lambda n: reads),
        Scenario("list 50, first page", 200, lambda n: pages),
        Scenario("list 50, deep page", 200, lambda n: deep),
        Scenario("create (integrator)", 201, creates, cycle=False),
    ]


def silence_log() -> None:
    """The access log is formatted as in production, but written nowhere (it would bury the table)."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115  (for the process's lifetime)


async def run(url: str, args: argparse.Namespace) -> list[tuple[str, dict[str, Side]]]:
    data_dir = tempfile.mkdtemp(prefix="leder-inproc-")
    settings = Settings(
        environment="production", secret_key=SECRET, database_url=url, feed_relay_in_api=False, data_dir=data_dir
    )
    api = create_app(settings, SystemClock())
    silence_log()
    ref = reference.create_app(settings)
    counter = [0]

    def count(*_: Any) -> None:
        counter[0] += 1

    event.listen(api.state.engine.sync_engine, "before_cursor_execute", count)
    results = []
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(api.router.lifespan_context(api))
        await stack.enter_async_context(ref.router.lifespan_context(ref))
        clients = {
            name: await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
            )
            for name, app in (("API", api), ("reference", ref))
        }
        total = args.warmup + args.rounds * args.batch
        for scenario in scenarios(url, settings, total):
            print(f"  {scenario.label} ...", flush=True)
            results.append(
                (scenario.label, await measure(scenario, clients, counter, args.rounds, args.batch, args.warmup))
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notifications", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--batch", type=int, default=50, help="Requests per round and app [50].")
    parser.add_argument("--warmup", type=int, default=30, help="Requests to each app before measuring [30].")
    parser.add_argument("--keep", action="store_true", help=f"Keep the run's clone, {PREFIX}.")
    parser.add_argument("--drop-template", action="store_true", help="Drop the seeded template afterwards too.")
    parser.add_argument("--rebuild", action="store_true", help="Rebuild the seeded template even if it is complete.")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    if args.notifications < AREAS * 50:
        parser.error(f"--notifications: at least {AREAS * 50:,} (a page of 50 in every area)")
    template, took = build_template(args.admin_url, args.notifications, rebuild=args.rebuild, prefix=PREFIX)
    print(f"template {template}: " + (f"built in {took:.0f} s" if took is not None else "reused"))
    url, took = clone(args.admin_url, template, PREFIX)
    print(f"cloned into {PREFIX} in {took:.0f} s")
    try:
        results = asyncio.run(run(url, args))
    finally:
        with psycopg.connect(args.admin_url, autocommit=True) as admin:
            if not args.keep:
                admin.execute(f'DROP DATABASE IF EXISTS "{PREFIX}" WITH (FORCE)')
            if args.drop_template:
                admin.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
    report(results, args)


if __name__ == "__main__":
    main()
