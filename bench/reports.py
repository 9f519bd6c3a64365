"""Benchmark: the reports over a large synthetic population on PostgreSQL, through the HTTP API.

Creates (or reuses) a scratch database, migrates it, seeds N notifications set-based (12% open, spread over
8 years and 130 areas, with stage spans), then calls each report through the app in this process (ASGI, no
network: authentication, queries, disclosure control, serialisation and the audit row, not the socket) and
prints the median, 95th percentile and slowest of the timed calls after warm-up calls.

    .venv/bin/python -m bench.reports [--notifications 1000000] [--calls 20] [--actions-per-notification 2]
        [--admin-url postgresql://postgres@127.0.0.1:5432/postgres] [--database leder_bench_reports]
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


def prepare(admin_url: str, notifications: int, database: str = DATABASE, actions_per_notification: int = 0) -> str:
    url = scratch_database(admin_url, database)
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        row = connection.execute("SELECT count(*) FROM notification").fetchone()
        have = int(row[0]) if row else 0
        if have != notifications:
            connection.execute("TRUNCATE notification, outbox_event, audit_event CASCADE")  # and the plan
    if have != notifications:
        took = seed(url, notifications, open_share=0.12, areas=130)
        print(f"seeded {notifications:,} notifications in {took:.1f} s")
    with psycopg.connect(plain, autocommit=True) as connection:
        if actions_per_notification:
            seed_actions(connection, actions_per_notification)
        connection.execute("VACUUM ANALYZE notification")
        connection.execute("VACUUM ANALYZE stage_span")
    return url


# The action plan (app/actions): k actions per notification, with a theme each, and the themes of the
# signed-off reviews. Statuses and due dates spread so that some of each are overdue.
ACTIONS_SQL = """
INSERT INTO plan_action (id, area_ods, notification_id, source_index, what, owner_organisation, due_on, status,
                         closed_on, version, created_at, created_by)
SELECT gen_random_uuid(), n.area_ods, n.id, g, 'Bench action', 'Organisation ' || (abs(hashtext(n.id::text)) %% 40),
       n.notified_on + 200 + 60 * g,
       (ARRAY['planned', 'in_progress', 'completed', 'not_achieved'])[1 + abs(hashtext(n.id::text || g)) %% 4],
       NULL, 1, now(), 'bench'
FROM notification n CROSS JOIN generate_series(0, %(k)s - 1) AS g
"""
ACTION_THEMES_SQL = """
INSERT INTO plan_action_theme (action_id, theme, area_ods)
SELECT id, (ARRAY['grade_4_to_6', 'dnacpr', 'mental_capacity_act',
                  'contributory_factor.gaps_in_service_provision'])[1 + abs(hashtext(id::text)) % 4], area_ods
FROM plan_action
"""
REVIEW_THEMES_SQL = """
INSERT INTO review_theme (notification_id, theme, area_ods, signed_off_on)
SELECT id, (ARRAY['grade_4_to_6', 'dnacpr', 'mental_capacity_act',
                  'contributory_factor.gaps_in_service_provision'])[1 + abs(hashtext(id::text)) % 4], area_ods,
       completed_on
FROM notification WHERE stage = 'completed' AND completed_on IS NOT NULL
"""


def seed_actions(connection: psycopg.Connection, k: int) -> None:
    row = connection.execute("SELECT count(*) FROM plan_action").fetchone()
    if row and row[0]:
        return
    started = time.perf_counter()
    connection.execute(ACTIONS_SQL, {"k": k})
    connection.execute("UPDATE plan_action SET closed_on = due_on - 10 WHERE status IN ('completed', 'not_achieved')")
    connection.execute(ACTION_THEMES_SQL)
    connection.execute(REVIEW_THEMES_SQL)
    for table in ("plan_action", "plan_action_theme", "review_theme"):
        connection.execute(f"VACUUM ANALYZE {table}")
    print(f"seeded {k} actions per notification in {time.perf_counter() - started:.1f} s")


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
        (f"area themes, {year}", f"/areas/{AREA}/themes", {"from": f"{year}-01", "to": f"{year}-12"}, coordinator),
        ("coordinator's overdue actions, first page", "/actions", {"overdue": "true"}, coordinator),
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
    parser.add_argument("--database", default=DATABASE, help="The scratch database (its own per concurrent run).")
    parser.add_argument("--actions-per-notification", type=int, default=2, help="Action-plan rows to seed.")
    args = parser.parse_args()
    url = prepare(args.admin_url, args.notifications, args.database, args.actions_per_notification)
    asyncio.run(run(url, args.calls))


if __name__ == "__main__":
    main()
