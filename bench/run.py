"""The benchmark, end to end in one command: seed, serve, load, measure, print the table (issue 8).

    .venv/bin/python -m bench.run [--notifications 1000000] [--duration 8] [--connections 32]

1. Database: a template with N notifications (bench/population.py: bench/seed.py's set-based seed with a
   progress bar, bench/annual_report.py's findings, flags and families, then staff, allocations, holds and an
   integrator client), built once per size and cloned for every run into `leder_bench_api`; an SQLite file
   with 100,000 of them (bench/sqlite_copy.py).
2. One worker process each, started side by side and driven in turn, scenario by scenario, so that the
   machine's other load falls alike on all: the raw-SQL reference (bench/reference.py, uvicorn), the service
   as a user starts it (`leder serve`, LEDER_ENVIRONMENT=production) on PostgreSQL, and on SQLite. The load
   comes from bench/load.py in a process of its own (`connections` keep-alive connections, `duration` seconds
   after a warm-up), with tokens of coordinators, reviewers, national oversight and an integrator client;
   first against a trivial endpoint, to show its own ceiling. Then the quarterly dashboard and an annual report.
3. The same with two worker processes (reference and service on PostgreSQL).
4. The SLA sweep over every open notification (bench/sla_sweep.py), and `leder import` of 100,000 rows.
Then the table and the targets. Run it on an otherwise quiet machine where you can: the table shows how much
CPU everything else took meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg

from app.core.config import Settings
from bench import scenarios as sc
from bench.measure import Load, Measured, measure, time_calls
from bench.population import AREAS, CLIENT_ID, RUN_DATABASE, build_template, clone, plain
from bench.processes import MemoryWatch, Server, load_average
from bench.reports import quarter_of
from bench.sla_sweep import run_sweep
from bench.sqlite_copy import copy_subset
from bench.table import Results, print_table

BENCH_SECRET = "leder-bench-only-signing-key-7f3c9a1e5b2d8f4c6a0e"  # noqa: S105  (scratch databases only)
REFERENCE_PORT, API_PORT, SQLITE_PORT = 18101, 18100, 18102
BIN = Path(sys.executable).parent
# Write requests are used once each: enough for this rate over the whole scenario (else the row says so).
POOL_RATE = 1500
READ, READ_REVIEWER, LIST, DEEP = "read one (coordinator)", "read one (reviewer)", "list first page", "list deep page"
CREATE, ALLOCATE, TRANSITION = "create (integrator)", "allocate (coordinator)", "transition (reviewer)"


@dataclass
class Workload:
    """The requests of every scenario, built once from the freshly cloned database."""

    actors: sc.Actors
    today: date
    areas: list[str]
    lite_areas: list[str]  # the areas copied to SQLite
    per_scenario: int  # write requests built for one scenario
    reads: list[sc.Request]
    lite_reads: list[sc.Request]
    reviewer_reads: list[sc.Request]
    deep: list[sc.Request]
    allocation_pool: list[tuple[uuid.UUID, str, int]]
    transition_pool: list[tuple[uuid.UUID, uuid.UUID, int]]

    def creates(self, batch: int, among: list[str]) -> list[sc.Request]:
        """New notifications, numbered apart for each scenario (and the import) so that none is a duplicate."""
        bodies = sc.notification_bodies(800_000_000 + batch * 10_000_000, self.per_scenario, among, self.today)
        return sc.creates(self.actors, bodies)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="leder-bench-"))
        self.admin_url: str = args.admin_url
        self.url = ""
        self.load = Load(args.connections, args.duration, args.warmup)
        self.results = Results(args.notifications, args.connections, args.duration, args.warmup, work=str(self.work))

    def env(self, database_url: str, **extra: str) -> dict[str, str]:
        """What a user gives the service in production: the setting, a real secret, the database; no LEDER_*
        variable of ours leaks in."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEDER_")}
        env |= {"LEDER_ENVIRONMENT": "production", "LEDER_SECRET_KEY": BENCH_SECRET, "LEDER_DATABASE_URL": database_url}
        return env | {"LEDER_DATA_DIR": str(self.work / "data")} | extra

    def api(self, workers: int, database_url: str, port: int, label: str) -> Server:
        argv = [str(BIN / "leder"), "serve", "--port", str(port), "--workers", str(workers)]
        return Server(label, argv, self.env(database_url), port, "/health/ready", self.work / f"{port}.log")

    def reference(self, workers: int) -> Server:
        argv = [str(BIN / "uvicorn"), "bench.reference:create_app", "--factory", "--port", str(REFERENCE_PORT),
                "--workers", str(workers), "--no-access-log", "--log-level", "warning"]  # fmt: skip
        env = self.env(self.url, BENCH_DATABASE_URL=self.url)
        label = f"reference, {workers} worker{'s' * (workers > 1)}"
        return Server(label, argv, env, REFERENCE_PORT, "/ping", self.work / f"{REFERENCE_PORT}.log")

    def measure(
        self, server: Server, scenario: str, requests: list[sc.Request], *, cycle: bool = True,
        reference: Measured | None = None, connections: int | None = None, postgres: bool = True,
    ) -> Measured:  # fmt: skip
        load = self.load if connections is None else Load(connections, min(4.0, self.load.duration), self.load.warmup)
        row = measure(server, scenario, requests, cycle=cycle, load=load, work=self.work, admin_url=self.admin_url,
                      database=RUN_DATABASE if postgres else None, reference=reference)  # fmt: skip
        self.results.rows.append(row)
        return row

    def run(self) -> None:
        began = time.monotonic()
        self.describe_machine()
        work = self.prepare()
        for workers in (1, 2):
            self.phase(workers, work)
        print("\n[4/4] the SLA sweep, and the import")
        self.sweep()
        self.import_file(work.areas, work.today)
        self.results.elapsed = time.monotonic() - began
        self.results.load_average_end = load_average()
        for bulky in ("leder.db", "leder.db-wal", "leder.db-shm", "import.jsonl", "requests.json"):
            (self.work / bulky).unlink(missing_ok=True)  # keep only the logs
        print_table(self.results)

    def prepare(self) -> Workload:
        args = self.args
        print(f"\n[1/4] databases: {args.notifications:,} notifications on PostgreSQL")
        template, took = build_template(self.admin_url, args.notifications, rebuild=args.rebuild)
        self.results.template = f"built in {took:.0f} s" if took is not None else "reused from an earlier run"
        print(f"  template {template}: {self.results.template}")
        self.url, took = clone(self.admin_url, template)
        print(f"  cloned into {RUN_DATABASE} in {took:.0f} s")
        lite_areas, count, took = copy_subset(self.url, self.work / "leder.db", args.sqlite_notifications)
        self.results.sqlite_notifications = count
        print(f"  copied {count:,} notifications ({len(lite_areas)} areas) to SQLite in {took:.0f} s")
        settings = Settings(database_url=self.url, secret_key=BENCH_SECRET, environment="production")
        today = datetime.now(UTC).date()
        with psycopg.connect(plain(self.url)) as connection:
            actors = sc.Actors.load(connection, settings)
            areas = sorted(actors.coordinators)
            return Workload(
                actors=actors,
                today=today,
                areas=areas,
                lite_areas=lite_areas,
                per_scenario=int(POOL_RATE * (args.duration + args.warmup)),
                reads=sc.reads_by_coordinators(connection, actors, areas, 20_000),
                lite_reads=sc.reads_by_coordinators(connection, actors, lite_areas, 20_000),
                reviewer_reads=sc.reads_by_reviewers(connection, actors, areas, 20_000),
                deep=sc.deep_pages(connection, actors, 2000, today),
                allocation_pool=sc.allocation_pool(connection, areas),
                transition_pool=sc.transition_pool(connection, areas),
            )

    def phase(self, workers: int, work: Workload) -> None:
        """The reference and the service side by side (and with 1 worker the service on SQLite, the embedded
        default, which runs one process), each scenario driven on each in turn."""
        plural = "s" * (workers > 1)
        print(f"\n[{workers + 1}/4] {workers} worker process{'es' * (workers > 1)} each: the reference, leder serve "
              f"on PostgreSQL{', leder serve on SQLite' if workers == 1 else ''}")  # fmt: skip
        with ExitStack() as servers:
            ref = servers.enter_context(self.reference(workers))
            api = servers.enter_context(self.api(workers, self.url, API_PORT, f"API, {workers} worker{plural}"))
            lite = None
            if workers == 1:
                lite_url = f"sqlite:///{self.work / 'leder.db'}"
                lite = servers.enter_context(self.api(1, lite_url, SQLITE_PORT, "API on SQLite, 1 worker"))
                ping = [{"method": "GET", "path": "/ping"}]
                self.measure(ref, "trivial endpoint (load generator ceiling)", ping, postgres=False)
            areas, lite_areas, today = work.areas, work.lite_areas, work.today

            base = self.measure(ref, READ, work.reads)
            self.measure(api, READ, work.reads, reference=base)
            if lite:
                self.measure(lite, READ, work.lite_reads, reference=base, postgres=False)
            self.measure(api, READ_REVIEWER, work.reviewer_reads, reference=base)

            base = self.measure(ref, LIST, sc.first_pages(work.actors, areas, today))
            self.measure(api, LIST, sc.first_pages(work.actors, areas, today), reference=base)
            if lite:
                self.measure(lite, LIST, sc.first_pages(work.actors, lite_areas, today), reference=base, postgres=False)
            self.measure(api, DEEP, work.deep)

            base = self.measure(ref, CREATE, work.creates(workers * 4, areas), cycle=False)
            self.measure(api, CREATE, work.creates(workers * 4 + 1, areas), cycle=False, reference=base)
            if lite:
                self.measure(lite, CREATE, work.creates(3, lite_areas), cycle=False, postgres=False)

            half = slice(workers - 1, None, 2)  # each phase allocates and starts its own half of the pools
            self.measure(api, ALLOCATE, sc.allocations(work.actors, work.allocation_pool[half]), cycle=False)
            self.measure(api, TRANSITION, sc.transitions(work.actors, work.transition_pool[half]), cycle=False)
            if workers == 1:
                self.measure(api, LIST + ", 1 connection", sc.first_pages(work.actors, areas, today), connections=1)
                self.measure(api, DEEP + ", 1 connection", work.deep, connections=1)
                self.reports(work.actors, today)
            for server in (ref, api, lite):
                if server is not None and server.memory is not None:
                    self.results.peaks[server.label] = server.memory.largest

    def reports(self, actors: sc.Actors, today: date) -> None:
        national = actors.headers(sc.user(actors.national))
        area = sorted(actors.coordinators)[0]
        coordinator = actors.headers(sc.user(actors.coordinators[area]))
        quarter, year = quarter_of(today, 1), today.year - 1
        for label, path, headers, limit in (
            (f"national dashboard, {quarter}", f"/reports/dashboard?period={quarter}", national, 300),
            (f"area annual report, {area} {year}", f"/reports/areas/{area}/annual?year={year}", coordinator, 500),
        ):
            self.results.reports.append((time_calls(API_PORT, label, path, headers, self.args.calls), limit))

    def sweep(self) -> None:
        for label, days in (("SLA sweep, first ever (all reviews)", 0), ("SLA sweep, the next day", 1)):
            result, took, longest = asyncio.run(run_sweep(self.url, days))
            self.results.sweeps.append((label, took, longest, result.examined_chunks, result.changed))
            print(f"  {label:<40} {took:>6.2f} s over {result.examined_chunks} chunks, longest chunk "
                  f"{longest * 1000:.0f} ms, {result.changed:,} changed")  # fmt: skip

    def import_file(self, areas: list[str], today: date) -> None:
        rows, path = self.args.import_rows, self.work / "import.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for body in sc.notification_bodies(700_000_000, rows, areas, today):
                handle.write(json.dumps(body) + "\n")
        before = self.count()
        argv = [str(BIN / "leder"), "import", str(path), "--client", CLIENT_ID]
        started = time.monotonic()
        with (self.work / "import.log").open("wb") as log:
            process = subprocess.Popen(argv, env=self.env(self.url), stdout=log, stderr=log, start_new_session=True)  # noqa: S603
            with MemoryWatch(process.pid) as memory:
                try:
                    code: int | str = process.wait(timeout=self.args.import_timeout)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGTERM)  # the import we started, and only it
                    process.wait()
                    code = f"stopped at {self.args.import_timeout:g} s"
        took, stored = time.monotonic() - started, self.count() - before
        self.results.imported = (rows, stored, took, code, memory.largest)
        print(f"  leder import of {rows:,} rows: {stored:,} stored in {took:.1f} s ({stored / took:.0f} rows/s), "
              f"exit {code}, peak RSS {memory.largest:.0f} MB")  # fmt: skip

    def count(self) -> int:
        with psycopg.connect(plain(self.url)) as connection:
            row = connection.execute("SELECT count(*) FROM notification").fetchone()
        return int(row[0]) if row else 0

    def describe_machine(self) -> None:
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "unknown")
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            row = admin.execute("SHOW server_version").fetchone()
        self.results.machine = (
            f"{os.cpu_count()} cores ({model}), {platform.system()} {platform.release()}, "
            f"PostgreSQL {row[0] if row else '?'}, Python {platform.python_version()}, "
            f"load average at the start {load_average():.2f}"
        )
        print(f"machine: {self.results.machine}")
        for port in (REFERENCE_PORT, API_PORT, SQLITE_PORT):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    raise SystemExit(f"port {port} is in use: stop what listens there, or change bench/run.py")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notifications", type=int, default=1_000_000)
    parser.add_argument("--duration", type=float, default=8.0, help="Seconds measured per scenario [8].")
    parser.add_argument("--warmup", type=float, default=2.0, help="Seconds of load before measuring [2].")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--calls", type=int, default=10, help="Timed calls of each report [10].")
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--import-timeout", type=float, default=240.0, help="Stop the import after this long [240].")
    parser.add_argument("--sqlite-notifications", type=int, default=100_000)
    parser.add_argument("--rebuild", action="store_true", help="Rebuild the seeded template even if it is complete.")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    if args.notifications < AREAS * 50:
        parser.error(f"--notifications: at least {AREAS * 50:,} (a page of 50 in every area)")
    Bench(args).run()


if __name__ == "__main__":
    main()
