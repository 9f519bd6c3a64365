"""Every report endpoint, walked as a national caller over a small population: no count from 1 to 7 and
no identifiable field in anything they receive (JSON, CSV or the printable page)."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts

from app.auth.policy import Role
from tests.api.test_annual_report import POPULATION_CSV, leeds  # noqa: F401  (the population, a fixture)
from tests.factories import BASE_NOTIFICATION

# Numbers that are not counts of people or deaths: when, which grade (the annual CSV's `item` names the row:
# grade 1 to 6), and the published reference population (people with a learning disability by ethnic group,
# which an admin loads from public figures).
NOT_COUNTS = {"year", "grade", "item", "people", "confidence_level", "population_total"}
# What identifies a person or their family, as the fixture's notifications carry it.
PERSON = BASE_NOTIFICATION["person"]
IDENTIFYING = [
    PERSON["given_name"],
    PERSON["family_name"],
    PERSON["nhs_number"].replace(" ", ""),
    BASE_NOTIFICATION["notifier"]["name"],
    BASE_NOTIFICATION["notifier"]["contact"],
    "Loved music",  # the pen portraits
    BASE_NOTIFICATION["death"]["dnacpr"]["rationale"],
]


def report_urls(app: Any) -> list[str]:
    urls = []
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path or ""
        if isinstance(route, APIRoute) and path.startswith("/reports") and "GET" in (route.methods or ()):
            path = path.replace("{ods_code}", "15F")
            query = "period=2019-Q2" if "dashboard" in path else "year=2019"
            urls.append(f"{path}?{query}")
    return urls


async def test_a_national_caller_receives_no_small_count_and_nothing_identifying(api, world, leeds):  # noqa: F811
    admin = await world.staff(Role.admin)
    assert (await api.put("/areas/15F/population", content=POPULATION_CSV,
                          headers={**admin.headers, "Content-Type": "text/csv"})).status_code == 200  # fmt: skip
    national = await world.staff(Role.national)
    urls = report_urls(api.app)
    assert len(urls) >= 4  # the dashboard and the annual report as JSON, page and CSV: none forgotten
    for url in urls:
        for accept in ("application/json", "text/csv"):
            response = await api.get(url, headers={**national.headers, "Accept": accept})
            assert response.status_code == 200, (url, response.text)
            body, kind = response.text, response.headers["content-type"]
            for text in IDENTIFYING:
                assert text.lower() not in body.lower(), (url, text)
            if kind.startswith("application/json"):
                small = list(_small_counts(json.loads(body)))
            elif kind.startswith("text/csv"):
                small = [(column, value) for row in csv.DictReader(io.StringIO(body)) for column, value in row.items()
                         if column not in NOT_COUNTS and re.fullmatch(r"[1-7]", value or "")]  # fmt: skip
            else:
                assert kind.startswith("text/html"), kind
                small = []  # the page shows the same published figures as the JSON, checked above
            assert small == [], (url, accept, small)

    # The walk has teeth: the area's coordinator, who sees their own figures as counted, gets small counts.
    as_counted = await api.get("/reports/areas/15F/annual?year=2019", headers=leeds.coordinator.headers)
    assert list(_small_counts(as_counted.json()))


def _small_counts(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _small_counts(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from _small_counts(item, key)
    elif isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 7 and key not in NOT_COUNTS:
        yield key, value
