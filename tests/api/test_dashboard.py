"""The quarterly dashboard through HTTP: every figure of a small known population, checked exactly, as a
coordinator sees it (as counted) and as published (disclosure-controlled)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from app.auth.policy import Role
from tests.workflow import Flow


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=10, tzinfo=UTC)


async def on(flow: Flow, clock, day: str) -> None:
    clock.set(at(day))
    flow.refresh_tokens()


async def ok(response) -> dict:
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture
async def year(api, world, clock):
    """Four deaths notified in 15F on 10 January 2025 (due 10 July), none in 14L:
    A: initial review, awaiting sign-off on 31 March, sent back on 2 April, completed on 10 July (the due date);
    B: on hold from 31 March to 2 April (across the quarter's end), completed on 11 July (raw: a day late;
       hold-adjusted: due 12 July, on time);
    C: allocated, completed on 11 July, a day late on both clocks;
    D: never allocated."""
    clock.set(at("2025-01-10"))
    flow = await Flow.start(api, world)
    changes = {"death.date_of_death": "2025-01-05"}
    a, b, c, d = [await flow.notify(n, **changes) for n in ("9434765919", "9990000018", "9990000026", "9990000034")]
    for case in (a, b, c):
        await ok(await flow.allocate(case))
    await ok(await flow.move(a, "initial_review", flow.reviewer))
    await flow.complete_findings(a)

    await on(flow, clock, "2025-03-31")
    await ok(await flow.move(a, "awaiting_sign_off", flow.reviewer))
    await ok(await flow.hold(b))
    hold = (await flow.get(b))["hold"]

    await on(flow, clock, "2025-04-02")
    await ok(await flow.end_hold(b, hold["id"]))
    await ok(await flow.move(a, "initial_review", flow.coordinator, reason="Speak to the GP as well."))

    await on(flow, clock, "2025-07-10")
    await ok(await flow.move(a, "awaiting_sign_off", flow.reviewer))
    await ok(await flow.move(a, "completed", flow.coordinator))

    await on(flow, clock, "2025-07-11")
    for case in (b, c):
        await ok(await flow.move(case, "initial_review", flow.reviewer))
        await flow.complete_findings(case)
        await ok(await flow.move(case, "awaiting_sign_off", flow.reviewer))
        await ok(await flow.move(case, "completed", flow.coordinator))
    await on(flow, clock, "2025-11-01")
    flow.cases = {"a": a, "b": b, "c": c, "d": d}  # type: ignore[attr-defined]
    return flow


EMPTY = {
    "notified": 0,
    "open": 0,
    "unallocated": 0,
    "unallocated_share": None,
    "on_hold": 0,
    "in_progress": 0,
    "awaiting_sign_off": 0,
    "open_past_six_months": 0,
    "completed": 0,
    "completed_within_six_months": 0,
    "completed_within_six_months_share": None,
    "completed_within_six_months_hold_adjusted": 0,
    "completed_within_six_months_hold_adjusted_share": None,
    "median_days_to_completion": None,
}


async def figures(api, who, period: str, **params) -> dict:
    response = await api.get("/reports/dashboard", params={"period": period, **params}, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_each_quarter_as_the_coordinator_counts_it(api, year):
    q1 = await figures(api, year.coordinator, "2025-Q1")
    assert (q1["period"], q1["starts_on"], q1["ends_on"]) == ("2025-Q1", "2025-01-01", "2025-03-31")
    assert q1["disclosure_controlled"] is False and q1["england"] is None
    [area] = q1["areas"]
    assert (area["area_ods"], area["area_name"]) == ("15F", "Area 15F")
    # At the end of 31 March: A awaiting sign-off, B on hold (since that day), C allocated, D unallocated.
    assert _figures(area) == EMPTY | {
        "notified": 4,
        "open": 4,
        "unallocated": 1,
        "unallocated_share": 25.0,
        "on_hold": 1,
        "in_progress": 1,
        "awaiting_sign_off": 1,
    }

    # At the end of June: A was sent back to initial review, B resumed: three in progress, D still waiting.
    q2 = (await figures(api, year.coordinator, "2025-Q2"))["areas"][0]
    assert _figures(q2) == EMPTY | {"open": 4, "unallocated": 1, "unallocated_share": 25.0, "in_progress": 3}

    # A on its due date (181 days), B and C the day after (182 days); D is open and past six months.
    q3 = (await figures(api, year.coordinator, "2025-Q3"))["areas"][0]
    assert _figures(q3) == EMPTY | {
        "open": 1,
        "unallocated": 1,
        "unallocated_share": 100.0,
        "open_past_six_months": 1,
        "completed": 3,
        "completed_within_six_months": 1,
        "completed_within_six_months_share": 33.3,
        "completed_within_six_months_hold_adjusted": 2,
        "completed_within_six_months_hold_adjusted_share": 66.7,
        "median_days_to_completion": 182.0,
    }


async def test_national_callers_get_every_area_and_england_disclosure_controlled(api, world, year):
    national = await world.staff(Role.national)
    q1 = await figures(api, national, "2025-Q1")
    assert q1["disclosure_controlled"] is True
    by_area = {a["area_ods"]: _figures(a) for a in q1["areas"]}
    assert set(by_area) == {"14L", "15F"}
    assert by_area["14L"] == EMPTY  # an area with no deaths: zero stays zero
    assert by_area["15F"] == EMPTY | {
        "notified": "*",
        "open": "*",
        "unallocated": "*",
        "on_hold": "*",
        "in_progress": "*",
        "awaiting_sign_off": "*",
    }
    assert q1["england"] == by_area["15F"]  # the same people: nothing more may show
    q3 = await figures(api, national, "2025-Q3")
    assert q3["england"]["median_days_to_completion"] is None  # a median of three people is withheld
    assert _no_small_counts(q1) and _no_small_counts(q3)

    one = await figures(api, national, "2025-Q1", area="14L")
    assert [a["area_ods"] for a in one["areas"]] == ["14L"] and one["england"] is None


async def test_a_published_csv_is_disclosure_controlled_even_for_the_coordinator(api, year):
    response = await api.get(
        "/reports/dashboard", params={"period": "2025-Q1"}, headers={**year.coordinator.headers, "Accept": "text/csv"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["period"], r["area_ods"]) for r in rows] == [("2025-Q1", "15F")]
    assert rows[0]["notified"] == "*" and rows[0]["open"] == "*" and rows[0]["completed"] == "0"
    assert rows[0]["unallocated_share"] == ""


async def test_a_dashboard_says_when_it_was_counted_and_to_what_day(api, year):
    """The clock stands at 1 November 2025: Q3 has ended, Q4 has not."""
    ended = await figures(api, year.coordinator, "2025-Q3")
    assert ended["to_date"] is False and ended["generated_at"].startswith("2025-11-01")
    current = await figures(api, year.coordinator, "2025-Q4")
    assert current["to_date"] is True and current["ends_on"] == "2025-12-31"
    response = await api.get(
        "/reports/dashboard", params={"period": "2025-Q4"}, headers={**year.coordinator.headers, "Accept": "text/csv"}
    )
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    assert (row["starts_on"], row["counted_to"]) == ("2025-10-01", "2025-11-01")
    assert row["generated_at"].startswith("2025-11-01T")
    [row] = list(csv.DictReader(io.StringIO((await api.get(
        "/reports/dashboard", params={"period": "2025-Q3"}, headers={**year.coordinator.headers, "Accept": "text/csv"}
    )).text)))  # fmt: skip
    assert row["counted_to"] == "2025-09-30"


async def test_who_may_see_which_area(api, world, year):
    other = await world.staff(Role.coordinator, "14L")
    mine = await figures(api, other, "2025-Q1")
    assert [a["area_ods"] for a in mine["areas"]] == ["14L"]
    refused = await api.get("/reports/dashboard", params={"period": "2025-Q1", "area": "15F"}, headers=other.headers)
    unknown = await api.get("/reports/dashboard", params={"period": "2025-Q1", "area": "99Z"}, headers=other.headers)
    assert refused.status_code == unknown.status_code == 404
    assert refused.json()["detail"] == unknown.json()["detail"]
    reviewer = await api.get("/reports/dashboard", params={"period": "2025-Q1"}, headers=year.reviewer.headers)
    assert reviewer.status_code == 403
    assert (await api.get("/reports/dashboard", params={"period": "2025-Q1"})).status_code == 401


@pytest.mark.parametrize("period", ["2025-Q5", "2025Q1", "1999-Q1", "2025-q1", ""])
async def test_a_period_must_be_a_quarter(api, year, period):
    response = await api.get("/reports/dashboard", params={"period": period}, headers=year.coordinator.headers)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def _figures(area: dict) -> dict:
    # overdue_actions: the action plan's count, tested in tests/api/test_action_plan.py
    return {k: v for k, v in area.items() if k not in ("area_ods", "area_name", "overdue_actions")}


def _no_small_counts(report: dict) -> bool:
    rows = [*report["areas"], *([report["england"]] if report["england"] else [])]
    return all(not (isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 7) for r in rows for v in r.values())
