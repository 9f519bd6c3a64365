"""Benchmark: `leder import` of a large CSV on PostgreSQL (issue 8: 100,000 rows in under 60 s, with the
API's full validation, and memory that stays flat whatever the file's size).

Generates a realistic file of invented people: NHS numbers from the 999 range, which the NHS never
issues, valid by Modulus 11 (or left out, as when the notifier did not know one), cause-of-death lines
with ICD-10 codes (a few of which raise bias flags), DNACPR rationales, and about 1% of rows the import
must turn away: an NHS number with a wrong check digit, a death in the future, an area that does not
exist, an area the client may not record for, and second notifications of the same death. Then it
clears the database, adds the areas and an integrator client, and times `leder import` as a process of
its own: wall-clock seconds, rows per second, and the process's peak resident memory (from wait4).

    .venv/bin/python bench/import_file.py [--rows 100000] [--rows 10000 ...] \\
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/leder_bench_import]

bench/run.py calls `time_import(database_url, rows)`.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import make_url
from sqlmodel import SQLModel

import app.models  # noqa: F401  (every table, for the truncation)
from app.areas.schemas import AreaCreate
from app.areas.service import create_area
from app.auth.policy import Scope
from app.auth.service import create_client
from app.core.config import Settings
from app.core.db import create_engine, create_sessionmaker
from app.core.migrations import upgrade_to_head

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/leder_bench_import"
SECRET = "bench-only-signing-key-0123456789abcdef0123456789"  # noqa: S105  (a scratch database's)
AREAS = [f"B{n:02d}" for n in range(1, 21)]  # the client records for all of these
OTHER_AREA = "Q99"  # exists, but not the client's: refused
NO_AREA = "Z99"  # does not exist: invalid

HEADER = [
    "area_ods", "notified_on", "national_data_opt_out", "care_providers",
    "person.nhs_number", "person.given_name", "person.family_name", "person.date_of_birth", "person.sex",
    "person.ethnic_category", "person.learning_disability_level", "person.autism", "person.lived_alone",
    "person.out_of_area_placement", "death.date_of_death", "death.place_of_death", "death.died_in_england",
    "death.cause_of_death.part_1", "death.cause_of_death.part_2", "death.dnacpr.in_place",
    "death.dnacpr.rationale", "death.other_processes", "notifier.name", "notifier.role",
    "notifier.organisation", "notifier.organisation_ods", "notifier.contact",
]  # fmt: skip
GIVEN = ["Olivia", "Amelia", "Isla", "Ava", "Mia", "Grace", "Freya", "Lily", "Joan", "Margaret", "Susan",
         "Priya", "Aisha", "Fatima", "Oliver", "George", "Arthur", "Noah", "Muhammad", "Leo", "Harry", "Jack",
         "David", "Peter", "Kwame", "Tomasz", "Connor", "Rhys", "Callum", "Sean"]  # fmt: skip
FAMILY = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Khan",
          "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
          "Okafor", "Nowak", "Murphy", "Hughes", "Edwards", "Hussain", "Begum", "Clarke", "Lewis", "Ahmed"]  # fmt: skip
CAUSES = ["Aspiration pneumonia [J69.0]", "Community acquired pneumonia [J18.9]", "Sepsis [A41.9]",
          "Epilepsy [G40.9]", "Dysphagia [R13]", "Bowel obstruction [K56.6]", "Congestive heart failure [I50.0]",
          "COVID-19 [U07.1]", "Cerebral palsy [G80.9]", "Chronic obstructive pulmonary disease [J44.9]",
          "Lower respiratory tract infection [J22]", "Dementia [F03]", "Metastatic bowel cancer [C18.9]",
          "Ischaemic heart disease [I25.9]", "Frailty"]  # fmt: skip
FLAGGED_CAUSES = ["Learning disability", "Down's syndrome [Q90.9]", "Severe learning disabilties"]
RATIONALES = ["Frailty and recurrent aspiration", "Advanced heart failure; CPR would not be successful",
              "Discussed with family: multiple comorbidities", "Metastatic cancer, end of life care",
              "Because of his learning disability"]  # fmt: skip
TRUSTS = [
    ("Leeds Teaching Hospitals NHS Trust", "RR8"),
    ("Manchester University NHS Foundation Trust", "R0A"),
    ("Norfolk and Norwich University Hospitals NHS Foundation Trust", "RM1"),
    ("Bench Community Trust", ""),
]


def nhs_number(serial: int) -> str:
    """A 999-range NHS number, distinct for each serial below 1,000,000; empty if no check digit fits."""
    body = f"999{(serial * 7919) % 1_000_000:06d}"  # 7919 is prime to 10**6: a shuffle without repeats
    check = 11 - sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True)) % 11
    return "" if check == 10 else body + str(0 if check == 11 else check)


def generate(rows: int, today: date, seed: int = 8) -> Iterator[dict[str, str]]:
    rng = random.Random(seed)  # noqa: S311  (invented test data: the same file every run)
    recent: list[dict[str, str]] = []
    for n in range(rows):
        if recent and rng.random() < 0.003:  # the same death notified again, by someone else
            yield {**rng.choice(recent), "notifier.name": "Second Notifier"}
            continue
        died = today - timedelta(days=rng.randint(1, 700))
        born = died - timedelta(days=rng.randint(4 * 365, 90 * 365))
        level = rng.choices(["mild", "moderate", "severe", "profound_and_multiple", "unknown", "none"],
                            [30, 30, 15, 10, 10, 5])[0]  # fmt: skip
        causes = rng.sample(CAUSES, rng.randint(1, 3))
        if rng.random() < 0.02:
            causes.insert(rng.randint(0, len(causes)), rng.choice(FLAGGED_CAUSES))
        dnacpr = rng.random() < 0.4
        trust, trust_ods = rng.choice(TRUSTS)
        row = {
            "area_ods": rng.choice(AREAS),
            "notified_on": (died + timedelta(days=rng.randint(0, 5))).isoformat() if rng.random() < 0.3 else "",
            "national_data_opt_out": "yes" if rng.random() < 0.01 else "",
            "care_providers": "; ".join(rng.sample(["RR8", "RXF", "R0A", "RM1", "NQL"], rng.randint(0, 2))),
            "person.nhs_number": "" if rng.random() < 0.05 else nhs_number(n),
            "person.given_name": rng.choice(GIVEN),
            "person.family_name": rng.choice(FAMILY),
            "person.date_of_birth": born.isoformat(),
            "person.sex": rng.choice(["female", "male"]),
            "person.ethnic_category": rng.choices("ABCDHJKMNRSZ", [70, 2, 5, 2, 3, 3, 1, 2, 3, 1, 2, 6])[0],
            "person.learning_disability_level": level,
            "person.autism": "yes" if level == "none" or rng.random() < 0.3 else "no",
            "person.lived_alone": rng.choice(["yes", "no", ""]),
            "person.out_of_area_placement": rng.choice(["yes", "no", "", ""]),
            "death.date_of_death": died.isoformat(),
            "death.place_of_death": rng.choices(["hospital", "home", "care_home", "hospice"], [60, 15, 20, 5])[0],
            "death.died_in_england": "no" if rng.random() < 0.01 else "yes",
            "death.cause_of_death.part_1": " | ".join(causes[:4]),
            "death.cause_of_death.part_2": rng.choice(["", "", "Epilepsy [G40.9]", "Type 2 diabetes [E11.9]"]),
            "death.dnacpr.in_place": "yes" if dnacpr else rng.choice(["no", ""]),
            "death.dnacpr.rationale": rng.choices(RATIONALES, [30, 25, 25, 19, 1])[0] if dnacpr else "",
            "death.other_processes": "coroner_investigation" if rng.random() < 0.1 else "",
            "notifier.name": f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
            "notifier.role": "Medical examiner officer",
            "notifier.organisation": trust,
            "notifier.organisation_ods": trust_ods,
            "notifier.contact": "medical.examiners@bench.invalid",
        }
        yield _spoiled(row, rng, today) if rng.random() < 0.007 else row
        if rng.random() < 0.01:
            recent = [*recent[-99:], row]


def _spoiled(row: dict[str, str], rng: random.Random, today: date) -> dict[str, str]:
    """A row the import must turn away, for one of the reasons real files have."""
    reason = rng.randrange(4)
    if reason == 0 and row["person.nhs_number"]:
        digits = row["person.nhs_number"]
        return {**row, "person.nhs_number": digits[:9] + str((int(digits[9]) + 1) % 10)}
    if reason == 1:
        return {**row, "death.date_of_death": (today + timedelta(days=3)).isoformat(), "notified_on": ""}
    return {**row, "area_ods": NO_AREA if reason == 2 else OTHER_AREA}


def write_file(path: Path, rows: int, today: date) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(generate(rows, today))


def prepare(database_url: str) -> str:
    """Create and migrate the database if need be, empty it, and add the areas and a client; its id."""
    url = make_url(database_url)
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)).fetchone() is None:
            connection.execute(f'CREATE DATABASE "{url.database}"')
    settings = Settings(database_url=database_url, secret_key=SECRET)
    upgrade_to_head(settings, quiet=True)
    tables = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")

    async def setup() -> str:
        engine = create_engine(settings)
        now = datetime.now(UTC)
        try:
            async with create_sessionmaker(engine)() as session:
                for ods in [*AREAS, OTHER_AREA]:
                    await create_area(session, AreaCreate(ods_code=ods, name=f"Bench area {ods}"), now)
                client, _ = await create_client(session, "Bench ME office", [Scope.notifications_write], AREAS, now)
                await session.commit()
                return client.client_id
        finally:
            await engine.dispose()

    return asyncio.run(setup())


def time_import(database_url: str, rows: int) -> dict[str, Any]:
    """Import a generated file of `rows` rows into an emptied database; the time, rate and peak memory."""
    client_id = prepare(database_url)
    with tempfile.TemporaryDirectory(prefix="leder-import-") as scratch:
        path = Path(scratch) / "notifications.csv"
        write_file(path, rows, datetime.now(UTC).date())
        env = {**os.environ, "LEDER_DATABASE_URL": database_url, "LEDER_SECRET_KEY": SECRET}
        command = [sys.executable, "-m", "app.cli", "import", str(path), "--client", client_id]
        with (Path(scratch) / "out.txt").open("w+") as out:
            started = time.perf_counter()
            process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.DEVNULL)  # noqa: S603  (our interpreter)
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - started
            process.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            output = out.read()
    summary = re.search(r"^\d+ rows: .*$", output, re.MULTILINE)
    if process.returncode not in (0, 1) or summary is None:  # 1: some rows were rejected, as intended
        raise RuntimeError(f"leder import failed ({process.returncode}): {output[-2000:]}")
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # kilobytes on Linux
        # The import's own CPU time: on a machine shared with other work, wall time alone misleads.
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "summary": summary[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, action="append", help="Rows in the file; repeat to compare sizes.")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()
    for rows in args.rows or [100_000]:
        result = time_import(args.database_url, rows)
        print(
            f"{result['rows']:,} rows in {result['seconds']:.1f} s: {result['rows_per_second']:,} rows/s, "
            f"{result['cpu_seconds']:.1f} s of CPU, peak RSS {result['peak_rss_mb']:.0f} MB ({result['summary']})"
        )


if __name__ == "__main__":
    main()
