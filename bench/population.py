"""The benchmark's database: a seeded template, built once per size, cloned fresh for every run.

The template holds what bench/seed.py seeds (notifications over 8 years and 130 areas, with stage spans),
what bench/annual_report.py adds (findings, bias flags, family invitations and concerns, populations), and
what the API scenarios need besides: a coordinator and eight reviewers (with profiles) per area, a national
user, reviewers allocated to the open reviews past `notified`, a hold on every review `on_hold` (its clock
paused), and an integrator client for every area. All of it set-based SQL.

Building the template takes minutes at 1,000,000 notifications; cloning it (`CREATE DATABASE ... TEMPLATE`)
takes seconds, so every run starts from the same state and the writes of one run never skew the next.
"""

from __future__ import annotations

import hashlib
import os
import time

import psycopg

from app.core.config import Settings
from app.core.migrations import upgrade_to_head
from bench.annual_report import add_extras
from bench.seed import seed

RUN_DATABASE = "leder_bench_api"
OPEN_SHARE = 0.12
AREAS = 130
REVIEWERS_PER_AREA = 8
# Reviewers' capacity: high enough that the allocation scenario measures allocation, not refusals.
REVIEWER_CAPACITY = 1000
CLIENT_ID = "lc_bench"
CLIENT_SECRET = "bench-client-secret-not-for-production-0123456789"  # noqa: S105  (a scratch database's)
# The marker a complete template carries (a half-built one, say after Ctrl-C, lacks it and is rebuilt).
_COMPLETE = "leder bench template: {n} notifications, complete"

# REVIEWERS and CAPACITY stand for the constants above.
SCENARIO_SQL = [
    """INSERT INTO staff_user (id, role, area_ods, name, email, active, created_at)
       SELECT gen_random_uuid(), 'coordinator', ods_code, 'Bench coordinator',
              'bench-coordinator-' || ods_code || '@example.org', true, now()
       FROM area""",
    """INSERT INTO staff_user (id, role, area_ods, name, email, active, created_at)
       SELECT gen_random_uuid(), 'reviewer', ods_code, 'Bench reviewer ' || k,
              'bench-reviewer-' || ods_code || '-' || k || '@example.org', true, now()
       FROM area, generate_series(0, REVIEWERS - 1) AS k""",
    """INSERT INTO staff_user (id, role, area_ods, name, email, active, created_at)
       VALUES (gen_random_uuid(), 'national', NULL, 'Bench national', 'bench-national@example.org', true, now())""",
    """INSERT INTO reviewer_profile (user_id, organisations, max_active_reviews, version, created_at)
       SELECT id, '[]', CAPACITY, 1, now() FROM staff_user WHERE role = 'reviewer'""",
    # Open reviews past `notified` have a reviewer: one of the area's, by a hash of the notification's id.
    """WITH r AS (
           SELECT id, area_ods, split_part(split_part(email, '@', 1), '-', 4)::int AS k
           FROM staff_user WHERE role = 'reviewer'
       )
       UPDATE notification n SET reviewer_id = r.id
       FROM r
       WHERE r.area_ods = n.area_ods AND r.k = abs(hashtext(n.id::text)) % REVIEWERS
         AND n.stage IN ('allocated', 'initial_review', 'focused_review', 'awaiting_sign_off', 'on_hold')""",
    # Reviews on hold wait on a coroner (or the police): a hold since ten days after notification, clock paused.
    """INSERT INTO hold (id, notification_id, reason, reference, expected_end_on, stage_before, started_at,
                         started_on, started_by)
       SELECT gen_random_uuid(), id,
              CASE WHEN abs(hashtext(id::text)) % 4 = 0 THEN 'police_investigation' ELSE 'coroner_investigation' END,
              'BENCH-' || left(id::text, 8), least(notified_on + 10, current_date) + 90, 'initial_review',
              least(notified_on + 10, current_date)::timestamptz, least(notified_on + 10, current_date), 'bench'
       FROM notification WHERE stage = 'on_hold'""",
    """UPDATE notification SET sla_paused_since_ordinal = least(notified_on + 10, current_date) - date '0001-01-01' + 1
       WHERE stage = 'on_hold'""",
    # bench/annual_report.py leaves the flags' evidence empty, which the API cannot show (FlagEvidence): give
    # them what the service records, and count each review's open flags as the service keeps them.
    """UPDATE bias_flag SET evidence = CASE
           WHEN kind = 'learning_disability_as_cause_of_death' THEN json_build_object(
               'source', 'mccd_part_1', 'line', 'I(b)', 'term', 'learning disability',
               'matched', 'learning disability', 'text', 'Learning disability')
           ELSE json_build_object(
               'source', 'dnacpr_rationale', 'line', NULL, 'term', 'learning disability',
               'matched', 'learning disabilities', 'text', 'Severe learning disabilities') END
       WHERE evidence::text = '{}'""",
    """UPDATE notification n SET open_bias_flags = f.open
       FROM (SELECT notification_id, count(*) AS open FROM bias_flag
             WHERE dismissed_at IS NULL AND withdrawn_at IS NULL GROUP BY notification_id) f
       WHERE f.notification_id = n.id""",
]


def client_sql() -> tuple[str, tuple[str, str]]:
    digest = hashlib.sha256(CLIENT_SECRET.encode()).hexdigest()  # as app.auth.service stores it
    sql = """INSERT INTO integrator_client (client_id, name, secret_sha256, scopes, areas, active, created_at)
             SELECT %s, 'Bench integrator', %s, '["notifications:read", "notifications:write"]',
                    json_agg(ods_code ORDER BY ods_code), true, now()
             FROM area"""
    return sql, (CLIENT_ID, digest)


def plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def database_url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"


def template_name(notifications: int, prefix: str = "leder_bench_api") -> str:
    return f"{prefix}_seed_{notifications}"


def _is_complete(admin: psycopg.Connection[tuple[object, ...]], name: str, notifications: int) -> bool:
    row = admin.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (name,)
    ).fetchone()
    return row is not None and row[0] == _COMPLETE.format(n=notifications)


def build_template(
    admin_url: str, notifications: int, *, rebuild: bool = False, prefix: str = "leder_bench_api"
) -> tuple[str, float | None]:
    """The template database for this size, built if missing or incomplete; and the seconds building took."""
    name = template_name(notifications, prefix)
    url = database_url(admin_url, name)
    settings = Settings(database_url=url, secret_key=os.environ.get("LEDER_SECRET_KEY"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        complete = not rebuild and _is_complete(admin, name, notifications)
        if not complete:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    if complete:
        upgrade_to_head(settings, quiet=True)  # seeded before a later migration (a new index, say)
        return name, None
    started = time.perf_counter()
    upgrade_to_head(settings, quiet=True)
    took = seed(url, notifications, open_share=OPEN_SHARE, areas=AREAS)
    print(f"  seeded {notifications:,} notifications and their stage spans in {took:.0f} s")
    print(f"  added findings, bias flags, families and populations in {add_extras(url):.0f} s")
    step = time.perf_counter()
    with psycopg.connect(plain(url), autocommit=True) as connection:
        for sql in SCENARIO_SQL:
            numbers = sql.replace("REVIEWERS", str(REVIEWERS_PER_AREA)).replace("CAPACITY", str(REVIEWER_CAPACITY))
            connection.execute(numbers)
        connection.execute(*client_sql())
        connection.execute("VACUUM ANALYZE")
    print(f"  added staff, allocations, holds and an integrator client in {time.perf_counter() - step:.0f} s")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"COMMENT ON DATABASE \"{name}\" IS '{_COMPLETE.format(n=notifications)}'")
    return name, time.perf_counter() - started


def clone(admin_url: str, template: str, name: str = RUN_DATABASE) -> tuple[str, float]:
    """A fresh copy of the template for this run (the previous run's copy is dropped)."""
    started = time.perf_counter()
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return database_url(admin_url, name), time.perf_counter() - started
