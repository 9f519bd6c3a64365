"""Time the area's annual report on a large PostgreSQL database (a benchmark, not a test).

Optionally seeds first with bench/seed.py, then adds what that seed leaves out and the report reads: findings
for every completed review (grades, themes, contributory factors, actions), bias flags, family invitations and
concerns, and each area's reference population. Everything is set-based SQL; every person is invented.

Then builds the annual report (as the area's coordinator sees it, and as published) for a sample of areas,
through the same service function the API calls, and prints the times. Usage:
    .venv/bin/python bench/annual_report.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/leder_bench \
        [--seed 1000000] [--year 2022] [--areas 10]
The database must be migrated (`leder migrate` with LEDER_DATABASE_URL set to it).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, date, datetime

import psycopg
from sqlmodel import col, select

from app.areas.models import Area
from app.core.config import Settings
from app.core.db import create_engine, create_sessionmaker
from app.reports.publishing import annual_report, references_from
from bench.seed import seed

# HASH stands for a hash of the notification's id: the same pseudo-random choices for it on every run.
_HASH = "abs(hashtext(n.id::text))"

EXTRAS_SQL = [
    """
    INSERT INTO findings (notification_id, version, data, saved_at, saved_by)
    SELECT n.id, 1, json_build_object(
        'pen_portrait', 'Bench person',
        'grade', 1 + HASH % 6,
        'potentially_avoidable', CASE HASH % 3 WHEN 0 THEN 'true'::json WHEN 1 THEN 'false'::json ELSE 'null'::json END,
        'mental_capacity_act_applied', (HASH % 4 <> 0),
        'mccd_accurate', (HASH % 5 <> 0),
        'dnacpr', json_build_object('in_place', true, 'appropriate', (HASH % 7 <> 0)),
        'contributory_factors', CASE WHEN HASH % 3 = 0
            THEN json_build_array('delays_in_diagnosis_or_treatment', 'gaps_in_service_provision')
            ELSE '[]'::json END,
        'actions', json_build_array(
            json_build_object('what', 'Bench action', 'owner_organisation', 'Bench Trust', 'due_on', '2020-01-01',
                              'status', (ARRAY['planned','in_progress','completed','not_achieved'])[1 + HASH % 4]))
    ), n.received_at, 'bench'
    FROM notification n
    WHERE n.stage = 'completed' AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.notification_id = n.id)
    """,
    """
    INSERT INTO bias_flag (id, notification_id, kind, evidence, raised_at, dismissed_at)
    SELECT gen_random_uuid(), n.id,
           CASE WHEN HASH % 2 = 0 THEN 'learning_disability_as_cause_of_death'
                ELSE 'learning_disability_as_dnacpr_rationale' END,
           '{}', n.received_at, CASE WHEN HASH % 3 = 0 THEN n.received_at END
    FROM notification n
    WHERE HASH % 50 = 0 AND NOT EXISTS (SELECT 1 FROM bias_flag b WHERE b.notification_id = n.id)
    """,
    """
    INSERT INTO family_invitation (id, notification_id, name, relationship, contact_preference, code_sha256,
                                   created_at, created_by, expires_at, wants_summary)
    SELECT gen_random_uuid(), n.id, 'Bench relative', 'sister', 'email', md5(n.id::text) || md5(n.id::text || 'x'),
           n.received_at, 'bench', n.received_at + interval '28 days', false
    FROM notification n
    WHERE HASH % 10 = 0 AND NOT EXISTS (SELECT 1 FROM family_invitation i WHERE i.notification_id = n.id)
    """,
    """
    INSERT INTO family_message (id, notification_id, invitation_id, kind, text, raised_at)
    SELECT gen_random_uuid(), i.notification_id, i.id, 'concern', 'Bench concern', i.created_at
    FROM family_invitation i
    WHERE abs(hashtext(i.id::text)) % 4 = 0
      AND NOT EXISTS (SELECT 1 FROM family_message m WHERE m.invitation_id = i.id)
    """,
    """
    INSERT INTO area_population (area_ods, ethnic_category, people, loaded_at, loaded_by)
    SELECT a.ods_code, c.code, c.people, now(), 'bench'
    FROM area a
    CROSS JOIN (VALUES ('A', 4000), ('C', 300), ('D', 60), ('H', 150), ('J', 120), ('M', 90), ('N', 80),
                       ('R', 20), ('S', 40), ('Z', 300)) AS c(code, people)
    ON CONFLICT DO NOTHING
    """,
    "ANALYZE",
]


def add_extras(url: str) -> float:
    started = time.perf_counter()
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as connection:
        for sql in EXTRAS_SQL:
            connection.execute(sql.replace("HASH", _HASH))
    return time.perf_counter() - started


async def time_reports(url: str, year: int, sample: int, repeat: int) -> list[float]:
    settings = Settings(database_url=url)
    engine = create_engine(settings)
    sessionmaker = create_sessionmaker(engine)
    references = references_from(83, 86, "bench")
    timings: list[float] = []
    async with sessionmaker() as session:
        areas = list((await session.exec(select(Area).order_by(col(Area.ods_code)).limit(sample))).all())
        now = datetime.now(UTC)
        await annual_report(session, areas[0], year, controlled=False, references=references, generated_at=now)
        for area in areas:
            for controlled in (False, True):
                for _ in range(repeat):
                    started = time.perf_counter()
                    report = await annual_report(
                        session, area, year, controlled=controlled, references=references, generated_at=now
                    )
                    timings.append((time.perf_counter() - started) * 1000)
            print(f"{area.ods_code} {year}: {report.counts.deaths_notified} deaths notified (published), "
                  f"{report.counts.reviews_completed} reviews completed (published)")  # fmt: skip
    await engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seed", type=int, default=0, help="Seed this many notifications first (bench/seed.py).")
    parser.add_argument("--year", type=int, default=date.today().year - 2)
    parser.add_argument("--areas", type=int, default=10, help="How many areas to time.")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.seed:
        print(f"seeded {args.seed:,} notifications in {seed(args.database_url, args.seed, 0.12, 130):.1f} s")
    print(f"added findings, flags, families and populations in {add_extras(args.database_url):.1f} s")
    timings = asyncio.run(time_reports(args.database_url, args.year, args.areas, args.repeat))
    print(
        f"annual report, {len(timings)} builds: median {statistics.median(timings):.0f} ms, "
        f"max {max(timings):.0f} ms (target: under 500 ms)"
    )


if __name__ == "__main__":
    main()
