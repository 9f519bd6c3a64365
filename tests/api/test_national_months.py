"""National oversight never recovers a day (issue 14, item 1): month filters, month order, opaque cursors."""

from __future__ import annotations

import base64
import binascii
import json
import re

import pytest

from app.auth.policy import Role
from tests.workflow import Flow

FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@pytest.fixture
async def national(world):
    return (await world.staff(Role.national)).headers


@pytest.fixture
async def flow(api, world) -> Flow:
    flow = await Flow.start(api, world)
    for number in ("9434765919", "9990000018", "9990000026"):
        await flow.notify(number)
    return flow


def _dates_in(value: object) -> list[str]:
    if isinstance(value, dict):
        return [found for item in value.values() for found in _dates_in(item)]
    if isinstance(value, list):
        return [found for item in value for found in _dates_in(item)]
    return FULL_DATE.findall(value) if isinstance(value, str) else []


@pytest.mark.parametrize("name", ["notified_from", "notified_to", "due_before"])
async def test_a_national_filter_by_day_is_refused_naming_the_field(api, flow, national, name):
    refused = await api.get("/notifications", params={name: "2025-03-17"}, headers=national)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [
        {"field": name, "location": "query", "message": "national oversight filters by month: give YYYY-MM"}
    ]


async def test_national_filters_by_month_and_sees_no_day_anywhere(api, flow, national):
    listed = await api.get(
        "/notifications", params={"notified_from": "2025-03", "notified_to": "2025-03"}, headers=national
    )
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert len(items) == 3
    assert {item["notified_month"] for item in items} == {"2025-03"}
    assert _dates_in(listed.json()) == []
    one = await api.get(f"/notifications/{items[0]['id']}", headers=national)
    assert one.status_code == 200
    assert _dates_in(one.json()) == []
    assert (await api.get("/notifications", params={"notified_to": "2025-02"}, headers=national)).json()["items"] == []


async def test_national_cannot_order_by_due_date(api, flow, national):
    refused = await api.get("/notifications", params={"sort": "due"}, headers=national)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "sort"


async def test_others_may_still_filter_by_day_or_month(api, flow):
    by_day = await api.get("/notifications", params={"notified_from": "2025-03-17"}, headers=flow.coordinator.headers)
    by_month = await api.get("/notifications", params={"notified_from": "2025-03"}, headers=flow.coordinator.headers)
    assert len(by_day.json()["items"]) == len(by_month.json()["items"]) == 3


def _readable(cursor: str) -> bool:
    try:
        json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    return True


async def test_cursors_are_opaque_and_cannot_be_forged(api, flow, national, world):
    first = (await api.get("/notifications", params={"limit": 1}, headers=national)).json()
    cursor = first["next_cursor"]
    assert cursor and not _readable(cursor)
    assert "2025" not in cursor
    second = await api.get("/notifications", params={"limit": 1, "cursor": cursor}, headers=national)
    assert second.status_code == 200
    assert second.json()["items"][0]["id"] != first["items"][0]["id"]
    tampered = cursor[:-6] + ("A" if cursor[-6] != "A" else "B") + cursor[-5:]
    for bad in (tampered, base64.urlsafe_b64encode(b'["notified","2025-03-17","x"]').decode()):
        refused = await api.get("/notifications", params={"cursor": bad}, headers=national)
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "cursor"
    # A coordinator's cursor (ordered by day) is no use to national oversight's list (ordered by month).
    theirs = (await api.get("/notifications", params={"limit": 1}, headers=flow.coordinator.headers)).json()
    assert (
        await api.get("/notifications", params={"cursor": theirs["next_cursor"]}, headers=national)
    ).status_code == 422

    admin = await world.staff(Role.admin)
    audit = (await api.get("/audit", params={"limit": 1}, headers=admin.headers)).json()
    assert audit["next_cursor"] and not _readable(audit["next_cursor"])
    assert (await api.get("/audit", params={"cursor": tampered}, headers=admin.headers)).status_code == 422
