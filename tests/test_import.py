"""`leder import`: CSV and JSON Lines, per-row results, an error report, and re-runs that add nothing."""

from __future__ import annotations

import csv
import json
import re

from sqlalchemy import create_engine
from sqlmodel import func, select

from app.notifications.importing import row_from_csv
from app.notifications.models import Notification
from tests.factories import notification_body
from tests.test_cli import run  # noqa: F401  (the CLI fixture)

HEADER = [
    "area_ods", "person.nhs_number", "person.given_name", "person.family_name", "person.date_of_birth",
    "person.sex", "person.ethnic_category", "person.learning_disability_level", "person.autism",
    "death.date_of_death", "death.place_of_death", "death.cause_of_death.part_1", "death.dnacpr.in_place",
    "death.other_processes", "notifier.name", "notifier.role", "notifier.organisation", "notifier.contact",
]  # fmt: skip


def csv_row(nhs_number: str, **changes: str) -> dict[str, str]:
    row = {
        "area_ods": "15F", "person.nhs_number": nhs_number, "person.given_name": "Joan",
        "person.family_name": "Example", "person.date_of_birth": "1970-05-20", "person.sex": "female",
        "person.ethnic_category": "A", "person.learning_disability_level": "moderate", "person.autism": "no",
        "death.date_of_death": "2025-03-10", "death.place_of_death": "hospital",
        "death.cause_of_death.part_1": "Aspiration pneumonia [J69.0] | Dysphagia [R13]",
        "death.dnacpr.in_place": "", "death.other_processes": "coroner_investigation",
        "notifier.name": "Sam Officer", "notifier.role": "Medical examiner officer",
        "notifier.organisation": "Leeds Teaching Hospitals NHS Trust", "notifier.contact": "me@leder-test.org.uk",
    }  # fmt: skip
    return row | changes


def setup_client(run) -> str:  # noqa: F811
    assert run("areas", "add", "--ods", "15F", "--name", "Leeds").exit_code == 0
    assert run("areas", "add", "--ods", "14L", "--name", "Manchester").exit_code == 0
    added = run("clients", "add", "--name", "ME office", "--scope", "notifications:write", "--area", "15F")
    found = re.search(r"client_id=(\S+)", added.output)
    assert found, added.output
    return found[1]


def count(settings) -> int:
    engine = create_engine(settings.sync_database_url)
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(Notification)).scalar_one()
    engine.dispose()
    return int(total)


def test_a_csv_file_is_imported_row_by_row_and_a_rerun_adds_nothing(run, tmp_path, settings):  # noqa: F811
    client = setup_client(run)
    path = tmp_path / "notifications.csv"
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=HEADER)
        writer.writeheader()
        writer.writerow(csv_row("9990000018"))
        writer.writerow(csv_row("1234567890"))  # bad check digit: line 3
        writer.writerow(csv_row("9990000026", **{"person.autism": "perhaps"}))  # line 4
        writer.writerow(csv_row("9990000034", area_ods="14L"))  # an area the client may not write: line 5
        writer.writerow(csv_row("9990000042"))

    first = run("import", str(path), "--client", client)
    assert first.exit_code == 1, first.output  # some rows were rejected
    assert "5 rows: 2 created, 0 already recorded, 0 duplicate, 2 invalid, 1 refused" in first.output
    with (tmp_path / "notifications.csv.errors.csv").open() as report:
        rejected = list(csv.DictReader(report))
    assert [(r["line"], r["status"]) for r in rejected] == [("3", "invalid"), ("4", "invalid"), ("5", "refused")]
    assert "person.nhs_number" in rejected[0]["reason"]
    assert rejected[0]["reason"] == "person.nhs_number: the NHS number's check digit is wrong"  # a plain sentence
    assert not [r for r in rejected if "Value error" in r["reason"]]
    assert "person.autism" in rejected[1]["reason"]
    assert "1234567890" not in path.with_name("notifications.csv.errors.csv").read_text()  # no echo
    assert count(settings) == 2

    again = run("import", str(path), "--client", client)
    assert "5 rows: 0 created, 2 already recorded" in again.output
    assert count(settings) == 2


def test_json_lines_with_unreadable_lines_and_duplicates(run, tmp_path, settings):  # noqa: F811
    client = setup_client(run)
    path = tmp_path / "batch.jsonl"
    lines = [
        json.dumps(notification_body(**{"person.nhs_number": "9990000018"})),
        "{not json",
        "",
        json.dumps([1, 2]),
        json.dumps(notification_body(**{"person.nhs_number": "9990000018", "person.given_name": "Jo"})),
    ]
    path.write_text("\n".join(lines) + "\n")
    report = tmp_path / "rejected.csv"
    result = run("import", str(path), "--client", client, "--errors", str(report), "--chunk", "2")
    assert result.exit_code == 1
    assert "4 rows: 1 created, 0 already recorded, 1 duplicate, 2 invalid" in result.output
    rows = list(csv.DictReader(report.read_text().splitlines()))
    assert [(r["line"], r["status"]) for r in rows] == [("2", "invalid"), ("4", "invalid"), ("5", "duplicate")]
    assert rows[0]["reason"].startswith("not JSON")
    assert "existing notification" in rows[2]["reason"]


def test_the_client_must_exist_and_may_write(run, tmp_path):  # noqa: F811
    setup_client(run)
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    assert "no active integrator client" in run("import", str(path), "--client", "lc_nobody").output
    reader = run("clients", "add", "--name", "Reader", "--scope", "notifications:read", "--area", "15F")
    found = re.search(r"client_id=(\S+)", reader.output)
    assert found, reader.output
    reader_id = found[1]
    refused = run("import", str(path), "--client", reader_id)
    assert refused.exit_code != 0
    assert "lacks the notifications:write scope" in refused.output


def test_csv_cells_become_the_api_body():
    body = row_from_csv(csv_row("9990000018", **{"death.dnacpr.in_place": "yes", "care_providers": "RR8; 15F"}))
    assert body["person"]["autism"] is False
    assert body["death"]["dnacpr"] == {"in_place": True}
    assert body["death"]["cause_of_death"]["part_1"] == [
        {"text": "Aspiration pneumonia", "icd10": "J69.0"},
        {"text": "Dysphagia", "icd10": "R13"},
    ]
    assert body["death"]["other_processes"] == ["coroner_investigation"]
    assert body["care_providers"] == ["RR8", "15F"]
    assert "nhs_number" in body["person"]
    assert row_from_csv({"person.given_name": "  ", "": "x"}) == {}  # empty cells and headers are left out


def test_lines_that_cannot_be_read_are_reported_and_the_rest_imported(run, tmp_path, settings):  # noqa: F811
    client = setup_client(run)
    jsonl = tmp_path / "odd.jsonl"
    good = json.dumps(notification_body(**{"person.nhs_number": "9990000018"})).encode()
    jsonl.write_bytes(b"\n".join([b"\xff\xfe not text", b"[" * 100_000, b"1" * 10_000, good]) + b"\n")
    result = run("import", str(jsonl), "--client", client)
    assert "4 rows: 1 created" in result.output, result.output
    reasons = (tmp_path / "odd.jsonl.errors.csv").read_text()
    assert "not UTF-8" in reasons and "too deep" in reasons

    table = tmp_path / "odd.csv"
    with table.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=HEADER)
        writer.writeheader()
        writer.writerow(csv_row("9990000026", **{"notifier.name": "x" * 200_000}))  # over the CSV cell limit
        writer.writerow(csv_row("9990000034"))
    with table.open("ab") as file:
        file.write(b"\xff,\xfe\n")
    with table.open("a", newline="") as file:
        csv.DictWriter(file, fieldnames=HEADER).writerow(csv_row("9990000042"))
    result = run("import", str(table), "--client", client)
    assert "4 rows: 2 created" in result.output, result.output
    assert count(settings) == 3


def test_control_characters_make_a_row_invalid_in_csv_and_json_lines(run, tmp_path, settings):  # noqa: F811
    client = setup_client(run)
    csv_path = tmp_path / "nul.csv"
    with csv_path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=HEADER)
        writer.writeheader()
        writer.writerow(csv_row("9990000018", **{"person.given_name": "Jo\x00an"}))
        writer.writerow(csv_row("9990000026", **{"death.cause_of_death.part_1": "Aspiration\x1bpneumonia [J69.0]"}))
    first = run("import", str(csv_path), "--client", client)
    assert "2 rows: 0 created, 0 already recorded, 0 duplicate, 2 invalid" in first.output
    lines_path = tmp_path / "nul.jsonl"
    body = notification_body(**{"person.nhs_number": "9990000034", "notifier.name": "Sam\x00"})
    lines_path.write_text(json.dumps(body) + "\n")
    second = run("import", str(lines_path), "--client", client)
    assert "1 rows: 0 created, 0 already recorded, 0 duplicate, 1 invalid" in second.output
    with (tmp_path / "nul.jsonl.errors.csv").open() as report:
        assert "control character" in next(csv.DictReader(report))["reason"]
    assert count(settings) == 0
