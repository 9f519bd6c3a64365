"""Every CSV the service writes is safe to open in a spreadsheet (issue 14, item 9)."""

from __future__ import annotations

import csv
import io
import pathlib

import pytest

from app.auth.policy import Role
from app.core.spreadsheets import safe_cell

APP = pathlib.Path(__file__).resolve().parents[2] / "app"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+44 113", "'+44 113"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Leeds", "Leeds"),
        ("", ""),
        (-5, -5),  # numbers are numbers
        (2.5, 2.5),
    ],
)
def test_a_text_cell_that_a_spreadsheet_would_run_is_made_text(value, written):
    assert safe_cell(value) == written


def test_every_csv_is_written_by_the_one_safe_writer():
    writers = [
        path for path in APP.rglob("*.py") if "csv.writer(" in path.read_text() or "DictWriter" in path.read_text()
    ]
    assert writers == [APP / "core" / "spreadsheets.py"]


async def test_an_area_named_like_a_formula_is_text_in_the_dashboard_csv(api, world):
    await world.area("15F", name="=cmd|' /C calc'!A0")
    admin = await world.staff(Role.admin)
    response = await api.get(
        "/reports/dashboard", params={"period": "2025-Q1"}, headers={**admin.headers, "Accept": "text/csv"}
    )
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows[0]["area_name"] == "'=cmd|' /C calc'!A0"
