"""Implausible values are refused at the door, and a stored odd row cannot take a list down (issue 14, 7 and 11)."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest
from sqlalchemy import update
from sqlmodel import col

from app.auth.policy import Role, Scope
from app.notifications.models import Notification
from app.reviews.models import Hold
from tests.api.test_families import invite, session_for
from tests.conftest import START
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


async def test_odd_stored_rows_never_fail_a_list(api, world, flow, caplog):
    good = await flow.notify("9434765919")
    old = await flow.notify("4010232137")
    unknown = await flow.notify("9990000018")
    held = await flow.notify("9434765870")
    async with world.session() as session:  # as an old import, or a bug, might have left them
        session.add(  # a hold whose reason the schema cannot name: read with its notification, as JSON
            Hold(
                notification_id=uuid.UUID(held.id),
                reason="withdrawn-reason",
                stage_before="notified",
                started_at=START,
                started_on=START.date(),
                started_by="cli",
            )
        )
        await session.exec(
            update(Notification)
            .where(col(Notification.id) == uuid.UUID(old.id))
            .values(date_of_birth=date(1, 1, 1), date_of_death=date(1, 6, 1))
        )
        await session.exec(
            update(Notification).where(col(Notification.id) == uuid.UUID(unknown.id)).values(sex="withdrawn-code")
        )
        await session.commit()
    national = await world.staff(Role.national)
    for who, sees_holds in ((flow.coordinator.headers, True), (national.headers, False)):
        listed = await api.get("/notifications", headers=who)
        assert listed.status_code == 200, listed.text
        ids = [item["id"] for item in listed.json()["items"]]
        assert good.id in ids and old.id in ids  # a view is built from what is stored, not validated again
        assert unknown.id not in ids  # a value the schema cannot name: that row is left out, and logged
        assert (held.id in ids) is not sees_holds  # left out only where its hold is shown
    coordinator_view = await api.get(f"/notifications/{old.id}", headers=flow.coordinator.headers)
    assert coordinator_view.json()["person"]["date_of_birth"] == "0001-01-01"
    assert "notification view could not be built" in caplog.text
    assert "withdrawn-code" not in caplog.text  # logged by id and error type, never the values
    assert "withdrawn-reason" not in caplog.text


CONTROL_MESSAGE = "contains a control character (only line breaks and tabs are allowed in text)"


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\ud800"])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("person.given_name", "Jo{}an"),
        ("death.cause_of_death.part_1", [{"text": "Aspiration{}pneumonia", "icd10": "J69.0"}]),
        ("notifier.organisation", "Lee{}ds"),
    ],
)
async def test_control_characters_in_text_are_refused(api, flow, character, field, value):
    sent = value.format(character) if isinstance(value, str) else [{**value[0], "text": f"Aspi{character}ration"}]
    body = json.dumps(notification_body(**{field: sent}))  # ASCII-escaped, as a lone surrogate must be
    headers = {**flow.coordinator.headers, "Content-Type": "application/json"}
    refused = await api.post("/notifications", content=body, headers=headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"].startswith(field)
    if character != "\ud800":  # pydantic's JSON parser already refuses a lone surrogate, in its own words
        assert refused.json()["errors"][0]["message"] == CONTROL_MESSAGE


async def test_line_breaks_and_tabs_are_text(api, flow):
    body = notification_body(**{"death.dnacpr.rationale": "Frailty\n\tand recurrent aspiration\r\n"})
    created = await api.post("/notifications", json=body, headers=flow.coordinator.headers)
    assert created.status_code == 201, created.text


async def test_a_nul_in_a_batch_item_makes_only_that_item_invalid(api, world, flow):
    integrator = await world.integrator(api, [Scope.notifications_write], ["15F"])
    items = [
        notification_body(**{"person.given_name": "Jo\x00an"}),
        notification_body(**{"person.nhs_number": "4010232137"}),
    ]
    answered = await api.post("/notifications/batch", json={"items": items}, headers=integrator)
    assert answered.status_code == 200, answered.text
    assert [r["status"] for r in answered.json()["results"]] == ["invalid", "created"]
    assert answered.json()["results"][0]["errors"][0]["message"] == CONTROL_MESSAGE


async def test_a_family_message_with_a_nul_is_refused(api, flow):
    case = await flow.reach("allocated")
    family = await session_for(api, (await invite(api, flow, case))["code"])
    refused = await api.post("/family/messages", json={"kind": "concern", "text": "Why\x00"}, headers=family)
    assert refused.status_code == 422, refused.text


async def test_a_client_id_with_a_nul_is_refused_not_a_500(api):
    form = {"grant_type": "client_credentials", "client_id": "abc\x00", "client_secret": "x" * 40}
    refused = await api.post("/auth/token", data=form)
    assert refused.status_code in (400, 401), refused.text
