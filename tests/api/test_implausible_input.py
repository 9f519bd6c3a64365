"""Implausible values are refused at the door, and a stored odd row cannot take a list down (issue 14, 7 and 11)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import update
from sqlmodel import col

from app.auth.policy import Role
from app.notifications.models import Notification
from tests.factories import notification_body
from tests.workflow import Flow


@pytest.fixture
async def flow(api, world) -> Flow:
    return await Flow.start(api, world)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("death.date_of_death", "0001-01-01", "is before 1900"),
        ("death.date_of_death", "1899-12-31", "is before 1900"),
        ("person.date_of_birth", "0001-01-01", "is before 1900"),
        ("person.date_of_birth", "2025-03-18", "is in the future"),  # the test clock's tomorrow
        ("notified_on", "1899-12-31", "is before 1900"),
        ("notified_on", "9999-12-31", "is in the future"),
    ],
)
async def test_a_date_before_1900_or_after_today_is_refused_naming_the_field(api, flow, field, value, message):
    body = notification_body(**{field: value})
    refused = await api.post("/notifications", json=body, headers=flow.coordinator.headers)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert {"field": field, "location": "body", "message": message} in refused.json()["errors"]
    assert value not in refused.text  # the value itself may be personal data: never echoed


async def test_the_earliest_plausible_day_is_accepted(api, flow):
    body = notification_body(**{"person.date_of_birth": "1900-01-01"})
    created = await api.post("/notifications", json=body, headers=flow.coordinator.headers)
    assert created.status_code == 201, created.text


async def test_a_hold_expected_to_end_in_year_9999_is_refused(api, flow):
    case = await flow.reach("allocated")
    refused = await flow.hold(case, expected_end_on="9999-12-31")
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "expected_end_on"


@pytest.mark.parametrize(
    ("name", "value"),
    [("notified_from", "0001-01-01"), ("notified_to", "9999-12-31"), ("due_before", "0001-01-01")],
)
async def test_list_filters_are_bounded(api, flow, name, value):
    refused = await api.get("/notifications", params={name: value}, headers=flow.coordinator.headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == name


@pytest.mark.parametrize(
    ("name", "value"), [("from", "0001-01-01T00:00:00+14:00"), ("to", "9999-12-31T23:59:59-14:00")]
)
async def test_audit_times_that_overflow_in_utc_are_a_422(api, world, name, value):
    await world.area("15F")
    admin = await world.staff(Role.admin)
    refused = await api.get("/audit", params={name: value}, headers=admin.headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0] == {
        "field": name,
        "location": "query",
        "message": "is outside the dates this service holds",
    }


async def test_a_stored_year_one_row_is_left_out_of_lists_not_a_500(api, world, flow, caplog):
    good = await flow.notify("9434765919")
    odd = await flow.notify("4010232137")
    async with world.session() as session:  # as an old import, or a bug, might have left it
        await session.exec(
            update(Notification)
            .where(col(Notification.id) == uuid.UUID(odd.id))
            .values(date_of_birth=date(1, 1, 1), date_of_death=date(1, 6, 1))
        )
        await session.commit()
    national = await world.staff(Role.national)
    for who in (flow.coordinator.headers, national.headers):
        listed = await api.get("/notifications", headers=who)
        assert listed.status_code == 200, listed.text
        assert good.id in [item["id"] for item in listed.json()["items"]]
    assert "notification view could not be built" in caplog.text
    assert "0001" not in caplog.text  # logged by id and error type, never the values
