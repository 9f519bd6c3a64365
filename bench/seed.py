"""Seed a PostgreSQL database with synthetic notifications, set-based (INSERT ... SELECT from
generate_series, in slices with a progress bar), never one ORM object at a time.

Every person is invented; NHS numbers are left empty. Usage:
    .venv/bin/python bench/seed.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/leder_bench \
        --notifications 1000000 [--open-share 1.0] [--areas 130]
"""

from __future__ import annotations

import argparse
import os
import time

import psycopg
import typer

from app.core.config import Settings
from app.core.migrations import upgrade_to_head

AREA_SQL = """
INSERT INTO area (ods_code, name, region, created_at)
SELECT 'B' || lpad(n::text, 3, '0'), 'Bench area ' || n, 'Bench region ' || (n %% 7), now()
FROM generate_series(1, %(areas)s) AS n
ON CONFLICT DO NOTHING
"""

# One slice of notifications. Open ones are spread over the last 8 months (some breached, some at
# risk, most on track); closed ones over 8 years. The SLA columns are filled as the service keeps them.
NOTIFICATION_SQL = """
INSERT INTO notification (
    id, area_ods, stage, review_route, nhs_number, given_name, family_name, date_of_birth, date_of_death,
    age_at_death, sex, ethnic_category, learning_disability_level, autism, place_of_death, died_in_england,
    national_data_opt_out, cause_of_death, other_processes, notifier, care_providers, notified_on, notified_month,
    received_at, created_by, version, stage_changed_at, completed_on, focused_review_requested_by_family,
    focused_review_done, open_bias_flags, sla_due_ordinal, sla_outcome
)
SELECT
    gen_random_uuid(),
    -- n / 6: each area gets runs of six consecutive n, so every stage, sex and place, not half of them
    'B' || lpad((1 + (n / 6) %% %(areas)s)::text, 3, '0'),
    CASE WHEN is_open THEN (ARRAY['notified','allocated','initial_review','focused_review','awaiting_sign_off',
                                  'on_hold'])[1 + n %% 6] ELSE 'completed' END,
    'leder', NULL, 'Bench', 'Person ' || n,
    died - ((20 + n %% 60) * 365), died, 20 + n %% 60,
    CASE WHEN n %% 2 = 0 THEN 'female' ELSE 'male' END,
    (ARRAY['A','B','C','D','H','J','K','M','N','R','S','Z'])[1 + n %% 12],
    (ARRAY['mild','moderate','severe','profound_and_multiple'])[1 + n %% 4],
    n %% 3 = 0,
    (ARRAY['hospital','home','care_home','hospice'])[1 + n %% 4],
    true, false,
    '{"part_1": [{"text": "Aspiration pneumonia", "icd10": "J69.0"}], "part_2": []}',
    '[]', '{"name": "Bench", "role": "ME officer", "organisation": "Bench Trust", "contact": "b@example.org"}',
    '[]', notified, EXTRACT(YEAR FROM notified)::int * 100 + EXTRACT(MONTH FROM notified)::int,
    notified::timestamptz, 'bench', 1, notified::timestamptz,
    CASE WHEN is_open THEN NULL ELSE notified + 100 + n %% 120 END,
    false, false, 0,
    (notified + interval '6 months')::date - date '0001-01-01' + 1,
    CASE WHEN is_open THEN NULL WHEN notified + 100 + n %% 120 <= (notified + interval '6 months')::date
         THEN 'met' ELSE 'missed' END
FROM (
    SELECT n, is_open,
           CASE WHEN is_open THEN current_date - (n %% 240) ELSE current_date - 240 - (n %% 2600) END AS notified,
           CASE WHEN is_open THEN current_date - (n %% 240) - 3 ELSE current_date - 243 - (n %% 2600) END AS died
    FROM (SELECT n, (n %% 1000) < %(open_per_mille)s AS is_open FROM generate_series(%(first)s, %(last)s) AS n) s
) g
"""

# Each review's stage spans, as the service keeps them: ten days unallocated, ten allocated, then initial
# review until thirty days before completion, then awaiting sign-off. An open review is in its stage since
# ten days after notification (or since notification, when that is its stage).
STAGE_SPAN_SQL = [
    """INSERT INTO stage_span (notification_id, area_ods, stage, started_on, ended_on, notified_on)
       SELECT id, area_ods, 'notified', notified_on,
              CASE WHEN stage = 'notified' THEN date '9999-12-31' ELSE notified_on + 10 END, notified_on
       FROM notification""",
    """INSERT INTO stage_span (notification_id, area_ods, stage, started_on, ended_on, notified_on)
       SELECT id, area_ods, stage, notified_on + 10, date '9999-12-31', notified_on
       FROM notification WHERE stage NOT IN ('notified', 'completed', 'excluded')""",
    """INSERT INTO stage_span (notification_id, area_ods, stage, started_on, ended_on, notified_on)
       SELECT id, area_ods, s.stage, notified_on + s.from_day,
              CASE WHEN s.until_completion THEN completed_on - 30 ELSE notified_on + s.to_day END, notified_on
       FROM notification,
            (VALUES ('allocated', 10, 20, false), ('initial_review', 20, 0, true)) AS s(stage, from_day, to_day,
                                                                                       until_completion)
       WHERE notification.stage = 'completed'""",
    """INSERT INTO stage_span (notification_id, area_ods, stage, started_on, ended_on, notified_on)
       SELECT id, area_ods, 'awaiting_sign_off', completed_on - 30, completed_on, notified_on
       FROM notification WHERE stage = 'completed'""",
]


def scratch_database(admin_url: str, name: str) -> str:
    """A benchmark's own database, created if missing and migrated to head; its SQLAlchemy URL."""
    with psycopg.connect(admin_url, autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            admin.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    os.environ.setdefault("LEDER_SECRET_KEY", "bench-only-signing-key-0123456789abcdef0123456789")
    upgrade_to_head(Settings(database_url=url), quiet=True)
    return url


def seed(url: str, notifications: int, open_share: float, areas: int, slice_size: int = 50_000) -> float:
    started = time.perf_counter()
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as connection:
        connection.execute(AREA_SQL, {"areas": areas})
        with typer.progressbar(range(0, notifications, slice_size), label="Seeding notifications") as slices:
            for first in slices:
                last = min(first + slice_size, notifications)
                params = {"areas": areas, "open_per_mille": round(open_share * 1000), "first": first + 1,
                          "last": last}  # fmt: skip
                connection.execute(NOTIFICATION_SQL, params)
        with typer.progressbar(STAGE_SPAN_SQL, label="Seeding stage spans   ") as statements:
            for statement in statements:
                connection.execute(statement)
        connection.execute("ANALYZE notification")
        connection.execute("ANALYZE stage_span")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--notifications", type=int, default=1_000_000)
    parser.add_argument("--open-share", type=float, default=0.12)
    parser.add_argument("--areas", type=int, default=130)
    args = parser.parse_args()
    took = seed(args.database_url, args.notifications, args.open_share, args.areas)
    print(f"seeded {args.notifications:,} notifications in {took:.1f} s")


if __name__ == "__main__":
    main()
