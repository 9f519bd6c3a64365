"""Benchmark: the worker's SLA sweep over many open notifications on PostgreSQL.

Creates (or reuses) a scratch database, migrates it, seeds N open notifications set-based, clears
what earlier sweeps announced, then runs the sweep exactly as `leder worker` does: first over a
database no sweep has seen (every at-risk and breached review announced at once, the worst case),
then again the same day (nothing to do), then as on the next day (one day's crossings). It reports
the time, the chunks (one short transaction each), the longest chunk (the longest any row lock is
held) and the events written.

    .venv/bin/python bench/sla_sweep.py [--notifications 1000000] [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta

import psycopg

from app.core.clock import uk_date
from app.core.config import Settings
from app.core.db import create_engine, create_sessionmaker
from app.worker.sla_sweep import SweepResult, sweep
from bench.seed import scratch_database, seed

DATABASE = "leder_bench_sweep"


def prepare(admin_url: str, notifications: int) -> str:
    url = scratch_database(admin_url, DATABASE)
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        row = connection.execute("SELECT count(*) FROM notification WHERE stage <> 'completed'").fetchone()
        have = int(row[0]) if row else 0
        if have < notifications:
            connection.execute("TRUNCATE notification, outbox_event CASCADE")
    if have < notifications:
        took = seed(url, notifications, open_share=1.0, areas=130)
        print(f"seeded {notifications:,} open notifications in {took:.1f} s")
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute("DELETE FROM sla_alert")
        connection.execute("DELETE FROM outbox_event WHERE type LIKE 'sla.%'")
        connection.execute("VACUUM ANALYZE notification")
    return url


async def run_sweep(url: str, days_later: int = 0) -> tuple[SweepResult, float, float]:
    settings = Settings(database_url=url)
    engine = create_engine(settings)
    sessionmaker = create_sessionmaker(engine)
    now = datetime.now(UTC) + timedelta(days=days_later)
    started = time.perf_counter()
    result = await sweep(
        sessionmaker, uk_date(now), now, settings.sla_at_risk_days, chunk_size=settings.worker_sweep_chunk
    )
    took = time.perf_counter() - started
    await engine.dispose()
    return result, took, result.longest_chunk_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notifications", type=int, default=1_000_000)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    url = prepare(args.admin_url, args.notifications)
    for label, days_later in (
        ("first sweep ever (every review's state at once)", 0),
        ("the same day again (nothing new)", 0),
        ("the next day (a day's crossings)", 1),
    ):
        result, took, longest = asyncio.run(run_sweep(url, days_later))
        print(f"{label}: {took:.2f} s over {result.examined_chunks} chunks; longest chunk {longest * 1000:.0f} ms; "
              f"{result.changed:,} changed, {result.announced:,} announced")  # fmt: skip


if __name__ == "__main__":
    main()
