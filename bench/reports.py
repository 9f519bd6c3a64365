"""Benchmark: the reports over a large synthetic population on PostgreSQL, through the HTTP API.

Creates (or reuses) a scratch database, migrates it, seeds N notifications set-based (12% open, spread over
8 years and 130 areas, with stage spans), then calls each report through the app in this process (ASGI, no
network: authentication, queries, disclosure control, serialisation and the audit row, not the socket) and
prints the median, 95th percentile and slowest of the timed calls after warm-up calls.

    .venv/bin/python -m bench.reports [--notifications 1000000] [--calls 20]
        [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, date, datetime, timedelta

import httpx
import psycopg

from app.auth.policy import Role
from app.auth.service import issue_user_token
from app.auth.tokens import TokenService
from app.core.clock import SystemClock
from app.core.config import Settings
from app.main import create_app
from app.users.models import StaffUser
from bench.seed import scratch_database, seed

DATABASE = "leder_bench_reports"
AREA = "B001"


def prepare(admin_url: str, notifications: int) -> str:
    url = scratch_database(admin_url, DATABASE)
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        row = connection.execute("SELECT count(*) FROM notification").fetchone()
        have = int(row[0]) if row else 0
        if have != notifications:
            connection.execute("TRUNCATE notification, outbox_event, audit_event CASCADE")
    if have != notifications:
        took = seed(url, notifications, open_share=0.12, areas=130)
        print(f"seeded {notifications:,} notifications in {took:.1f} s")
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE notification")
        connection.execute("VACUUM ANALYZE stage_span")
    return url


def staff(url: str, role: Role, area: str | None) -> StaffUser:
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    email = f"bench-{role.value}@example.org"
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO staff_user (id, role, area_ods, name, email, active, created_at) "
            "VALUES (gen_random_uuid(), %s, %s, 'Bench', %s, true, now()) ON CONFLICT DO NOTHING",
            (role.value, area, email),
        )
        row = connection.execute("SELECT id FROM staff_user WHERE email = %s", (email,)).fetchone()
    assert row is not None
    return StaffUser(id=row[0], role=role.value, area_ods=area, name="Bench", email=email)


def quarter_of(day: date, quarters_back: int) -> str:
    index = day.year * 4 + (day.month - 1) // 3 - quarters_back
    return f"{index // 4}-Q{index % 4 + 1}"


async def run(url: str, calls: int) -> None:
    settings = Settings(database_url=url, log_level="WARNING")
    app = create_app(settings)
    tokens = TokenService(settings, SystemClock())
    national = {
        "Authorization": f"Bearer {issue_user_token(tokens, staff(url, Role.national, None), timedelta(hours=2))}"
    }
    coordinator_user = staff(url, Role.coordinator, AREA)
    coordinator = {"Authorization": f"Bearer {issue_user_token(tokens, coordinator_user, timedelta(hours=2))}"}
    today = datetime.now(UTC).date()
    last_quarter, older, year = quarter_of(today, 1), quarter_of(today, 12), today.year - 1
    dashboard, annual = "/reports/dashboard", f"/reports/areas/{AREA}/annual"
    csv = {**national, "Accept": "text/csv"}
    scenarios: list[tuple[str, str, dict[str, str | int], dict[str, str]]] = [
        (f"national dashboard, {last_quarter} (last full quarter)", dashboard, {"period": last_quarter}, national),
        (f"national dashboard, {older} (three years back)", dashboard, {"period": older}, national),
        (f"national dashboard as CSV, {last_quarter}", dashboard, {"period": last_quarter}, csv),
        (f"coordinator dashboard, {last_quarter}", dashboard, {"period": last_quarter}, coordinator),
        (f"area annual report, {year}", annual, {"year": year}, coordinator),
        (f"area annual report as national, {year}", annual, {"year": year}, national),
    ]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        print(f"{'scenario':<55} {'median':>8} {'p95':>8} {'max':>8}")
        for label, path, params, headers in scenarios:
            timings = []
            for i in range(calls + 3):
                started = time.perf_counter()
                response = await client.get(path, params=params, headers=headers)
                took = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    print(f"{label:<55} HTTP {response.status_code}: {response.text[:120]}")
                    break
                if i >= 3:  # warm-up: connections, plans, imports
                    timings.append(took)
            if timings:
                p95 = statistics.quantiles(timings, n=20, method="inclusive")[-1] if len(timings) >= 2 else timings[0]
                print(f"{label:<55} {statistics.median(timings):>6.0f}ms {p95:>6.0f}ms {max(timings):>6.0f}ms")
    await app.state.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notifications", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    url = prepare(args.admin_url, args.notifications)
    asyncio.run(run(url, args.calls))


if __name__ == "__main__":
    main()
