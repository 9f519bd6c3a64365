"""Integrators get what their scope needs, no more (issue 14, item 2): notifications:read is a minimised view, and
the reviewer, the evidence, hold reasons and references, identity and days each need a scope of their own, in a
notification, in the change feed and in webhook bodies alike."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from app.auth.policy import Scope
from app.worker.runner import Worker
from tests.api.test_notification_fields import FLAGGED
from tests.factories import notification_body
from tests.workflow import Case, Flow

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
REFERENCE = "Inquest 2025/117"
EVIDENCE = "Down's syndrome"
HOOK = "http://127.0.0.1:9/hook"  # never connected to: the receiver is an httpx mock transport


def days_in(value: object) -> list[str]:
    if isinstance(value, dict):
        return [found for item in value.values() for found in days_in(item)]
    if isinstance(value, list):
        return [found for item in value for found in days_in(item)]
    return DAY.findall(value) if isinstance(value, str) else []


@pytest.fixture
async def case(api, world) -> tuple[Flow, Case]:
    """Allocated, flagged (with the words of the certificate as evidence), and on a hold with a reference."""
    flow = await Flow.start(api, world)
    case = await flow.notify(**FLAGGED)
    assert (await flow.allocate(case)).status_code == 200
    assert (await flow.hold(case, reference=REFERENCE, expected_end_on="2025-05-01")).status_code == 201
    return flow, case


async def reader(api, world, *extra: Scope) -> dict[str, str]:
    return await world.integrator(api, [Scope.notifications_read, Scope.events_read, *extra], ["15F"])


async def test_notifications_read_alone_is_the_minimised_view(api, world, case):
    flow, held = case
    headers = await reader(api, world)
    one = await api.get(f"/notifications/{held.id}", headers=headers)
    listed = await api.get("/notifications", headers=headers)
    assert one.status_code == 200 and listed.status_code == 200, one.text
    assert listed.json()["items"] == [one.json()]

    view = one.json()
    assert view["nhs_number"] == "9434765919" and view["area_ods"] == "15F" and view["stage"] == "on_hold"
    assert view["notified_month"] == "2025-03" and view["due_month"] is not None and view["sla_state"]
    assert view["flags"] == ["learning_disability_as_cause_of_death"]  # the kind only, not the evidence
    assert [view[block] for block in ("dates", "identity", "clinical", "review")] == [None] * 4
    text = one.text
    reviewer_id = str(flow.reviewer.user.id)
    for hidden in (reviewer_id, EVIDENCE, "Down\\u0027s", REFERENCE, "coroner_investigation", "Joan", "Example"):
        assert hidden not in text, hidden
    assert days_in(view) == []  # months only without notifications:dates


@pytest.mark.parametrize(
    ("scope", "block", "shows"),
    [
        (Scope.notifications_review, "review", lambda b, flow: b["reviewer_id"] == str(flow.reviewer.user.id)),
        (Scope.notifications_review, "review", lambda b, flow: b["hold"]["reference"] == REFERENCE),
        (Scope.notifications_review, "review", lambda b, flow: b["hold"]["reason"] == "coroner_investigation"),
        (Scope.notifications_clinical, "clinical", lambda b, flow: b["flags"][0]["evidence"]["text"] == EVIDENCE),
        (Scope.notifications_identity, "identity", lambda b, flow: b["person"]["given_name"] == "Joan"),
        (Scope.notifications_dates, "dates", lambda b, flow: b["hold_expected_end_on"] == "2025-05-01"),
    ],
)
async def test_each_further_scope_shows_its_own_block_and_nothing_else(api, world, case, scope, block, shows):
    flow, held = case
    view = (await api.get(f"/notifications/{held.id}", headers=await reader(api, world, scope))).json()
    assert shows(view[block], flow)
    assert [name for name in ("dates", "identity", "clinical", "review") if view[name] is not None] == [block]
    if scope is not Scope.notifications_dates and scope is not Scope.notifications_identity:
        assert days_in(view) == []  # a day comes only with notifications:dates (or identity's own dates)


async def test_an_integrators_create_answers_with_its_own_view(api, world):
    await Flow.start(api, world)
    headers = await world.integrator(api, [Scope.notifications_write, Scope.notifications_read], ["15F"])
    created = await api.post("/notifications", json=notification_body(**FLAGGED), headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["identity"] is None and created.json()["clinical"] is None
    assert EVIDENCE not in created.text and days_in(created.json()) == []


async def feed(api, world, headers) -> list[dict[str, Any]]:
    await world.relay()
    response = await api.get("/events", params={"limit": 1000}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def payload_of(events: list[dict[str, Any]], type_: str) -> dict[str, Any]:
    [event] = [e for e in events if e["type"] == type_]
    payload: dict[str, Any] = event["payload"]
    return payload


async def test_events_show_the_reviewer_hold_reason_and_days_only_with_their_scopes(api, world, case):
    flow, _ = case
    narrow = await feed(api, world, await reader(api, world))
    assert "reviewer_id" not in payload_of(narrow, "notification.allocated")
    assert payload_of(narrow, "notification.put_on_hold") == {"stage": "on_hold", "expected_end_month": "2025-05"}
    assert payload_of(narrow, "flag.raised")["kind"] and EVIDENCE not in json.dumps(narrow)
    assert days_in([e["payload"] for e in narrow]) == []

    wide = await feed(api, world, await reader(api, world, Scope.notifications_review, Scope.notifications_dates))
    assert payload_of(wide, "notification.allocated")["reviewer_id"] == str(flow.reviewer.user.id)
    assert payload_of(wide, "notification.put_on_hold") == {
        "stage": "on_hold",
        "hold_reason": "coroner_investigation",
        "expected_end_on": "2025-05-01",
    }


class Receiver:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        return httpx.Response(204)


async def delivered(api, world, settings, clock, *scopes: Scope) -> dict[str, dict[str, Any]]:
    """Register an endpoint for a client with these scopes, run the story, and return each body's data by type."""
    settings.webhook_allowed_private_hosts = ["127.0.0.1"]
    flow = await Flow.start(api, world)
    headers = await world.integrator(api, [Scope.webhooks_manage, *scopes], ["15F"])
    assert (await api.post("/webhooks", json={"url": HOOK}, headers=headers)).status_code == 201
    case = await flow.notify(**FLAGGED)
    assert (await flow.allocate(case)).status_code == 200
    assert (await flow.hold(case, reference=REFERENCE, expected_end_on="2025-05-01")).status_code == 201
    receiver = Receiver()
    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as http:
        await Worker(settings, clock, http).run(once=True)
    return {body["type"]: body["data"] for body in receiver.bodies}


async def test_webhook_bodies_are_minimised_without_the_scopes(api, world, settings, clock):
    bodies = await delivered(api, world, settings, clock)
    assert "reviewer_id" not in bodies["notification.allocated"]
    held = bodies["notification.put_on_hold"]
    assert "hold_reason" not in held and held["expected_end_month"] == "2025-05" and "expected_end_on" not in held
    assert days_in(list(bodies.values())) == []  # the data; the envelope's timestamp is when the change happened
    assert EVIDENCE not in json.dumps(bodies)


async def test_webhook_bodies_carry_what_the_scopes_grant(api, world, settings, clock):
    bodies = await delivered(api, world, settings, clock, Scope.notifications_review, Scope.notifications_dates)
    assert bodies["notification.allocated"]["reviewer_id"]
    held = bodies["notification.put_on_hold"]
    assert held["hold_reason"] == "coroner_investigation" and held["expected_end_on"] == "2025-05-01"


@pytest.mark.parametrize("name", ["notified_from", "notified_to", "due_before"])
async def test_without_dates_a_day_filter_is_refused_naming_the_field(api, world, case, name):
    months = await reader(api, world)
    refused = await api.get("/notifications", params={name: "2025-03-17"}, headers=months)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [
        {
            "field": name,
            "location": "query",
            "message": "without the notifications:dates scope, filters by month: give YYYY-MM",
        }
    ]
    assert (await api.get("/notifications", params={name: "2025-03"}, headers=months)).status_code == 200
    days = await reader(api, world, Scope.notifications_dates)
    assert (await api.get("/notifications", params={name: "2025-03-17"}, headers=days)).status_code == 200


async def test_without_dates_no_due_order_and_without_review_no_reviewer_filter(api, world, case):
    flow, _ = case
    narrow = await reader(api, world)
    by_due = await api.get("/notifications", params={"sort": "due"}, headers=narrow)
    assert by_due.status_code == 422 and by_due.json()["errors"][0]["field"] == "sort"
    mine = {"reviewer_id": str(flow.reviewer.user.id)}
    by_reviewer = await api.get("/notifications", params=mine, headers=narrow)
    assert by_reviewer.status_code == 422 and by_reviewer.json()["errors"][0]["field"] == "reviewer_id"

    wide = await reader(api, world, Scope.notifications_dates, Scope.notifications_review)
    assert (await api.get("/notifications", params={"sort": "due"}, headers=wide)).status_code == 200
    found = await api.get("/notifications", params=mine, headers=wide)
    assert found.status_code == 200 and len(found.json()["items"]) == 1
