"""The area's action plan through HTTP: from sign-off to the plan, progress, overdue, themes, and who sees what."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.auth.policy import Role, Scope
from app.worker.runner import Worker
from tests.workflow import COMPLETE_FINDINGS, Case, Flow

TWO_ACTIONS: dict[str, Any] = {
    **COMPLETE_FINDINGS,
    "grade": 5,
    "contributory_factors": ["delays_in_diagnosis_or_treatment", "reasonable_adjustments_not_made"],
    "actions": [
        {
            "what": "Eating and drinking pathway, ward 4",
            "owner_organisation": "Riverside NHS Trust",
            "due_on": "2025-06-30",
        },
        {"what": "Annual health checks audit", "owner_organisation": "Hilltop PCN", "due_on": "2025-05-31"},
    ],
}


@pytest.fixture
async def flow(api, world):
    return await Flow.start(api, world)


async def signed_off(flow: Flow, findings: dict[str, Any], number: str = "9434765919") -> Case:
    case = await flow.reach("initial_review", number)
    assert (await flow.save_findings(case, findings)).status_code == 200
    await flow.get(case)
    assert (await flow.move(case, "awaiting_sign_off", flow.reviewer)).status_code == 200
    response = await flow.move(case, "completed", flow.coordinator)
    assert response.status_code == 200, response.text
    return case


async def plan(api, who, **params: Any) -> list[dict[str, Any]]:
    response = await api.get("/actions", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def update(api, who, action: dict[str, Any], body: dict[str, Any]):
    current = await api.get(f"/actions/{action['id']}", headers=who.headers)
    headers = {**who.headers, "If-Match": current.headers["etag"]}
    return await api.post(f"/actions/{action['id']}/updates", json=body, headers=headers)


async def action_events(api, world, scopes: list[Scope]) -> list[dict[str, Any]]:
    reader = await world.integrator(api, scopes, ["15F"])
    response = await api.get("/events", params={"limit": 1000}, headers=reader)
    assert response.status_code == 200, response.text
    return [e for e in response.json()["items"] if e["type"].startswith("action.")]


async def test_a_signed_off_review_puts_its_actions_in_the_plan(api, world, flow, settings, clock):
    case = await signed_off(flow, TWO_ACTIONS)
    actions = await plan(api, flow.coordinator)
    assert [(a["what"], a["status"], a["notification_id"], a["from_review"]) for a in actions] == [
        ("Annual health checks audit", "planned", case.id, True),  # due first
        ("Eating and drinking pathway, ward 4", "planned", case.id, True),
    ]
    assert actions[0]["themes"] == [
        "contributory_factor.delays_in_diagnosis_or_treatment",
        "contributory_factor.reasonable_adjustments_not_made",
        "grade_4_to_6",
    ]
    # The findings stay frozen: the plan is where the action lives on.
    findings = (await api.get(f"/notifications/{case.id}/findings", headers=flow.coordinator.headers)).json()
    assert findings["frozen"] is True

    audit_early, dysphagia = actions
    flow.refresh_tokens()
    done = await update(api, flow.coordinator, dysphagia, {"status": "completed", "note": "Pathway live on ward 4"})
    assert done.status_code == 201, done.text
    assert (done.json()["status"], done.json()["closed_on"], done.headers["etag"]) == ("completed", "2025-03-17", '"2"')
    assert done.json()["updates"][0]["note"] == "Pathway live on ward 4"

    # Past both due dates: only the unfinished one is overdue, and the worker announces it once.
    clock.set(datetime(2025, 7, 15, 9, tzinfo=UTC))
    flow.refresh_tokens()
    assert (await Worker(settings, clock).run(once=True)).actions_announced == 1
    assert (await Worker(settings, clock).run(once=True)).actions_announced == 0
    overdue = await plan(api, flow.coordinator, overdue="true")
    assert [(a["id"], a["days_overdue"]) for a in overdue] == [(audit_early["id"], 45)]
    events = await action_events(api, world, [Scope.events_read, Scope.actions_read])
    assert [e["type"] for e in events] == ["action.created", "action.created", "action.updated", "action.overdue"]
    assert events[-1]["payload"]["action_id"] == audit_early["id"]
    assert "what" not in events[0]["payload"]  # ids, status and dates only
    assert await action_events(api, world, [Scope.events_read]) == []  # action events need actions:read

    # Themes: both actions answer the review's themes; one done, one overdue.
    year = {"from": "2025-01", "to": "2025-12"}
    themes = await api.get("/areas/15F/themes", params=year, headers=flow.coordinator.headers)
    assert themes.status_code == 200, themes.text
    by_name = {t["theme"]: t for t in themes.json()["themes"]}
    assert themes.json()["signed_off_reviews"] == 1
    assert by_name["grade_4_to_6"]["reviews"] == 1
    assert by_name["grade_4_to_6"]["actions"] == {
        "total": 2, "planned": 1, "in_progress": 0, "completed": 1, "not_achieved": 0, "overdue": 1,
    }  # fmt: skip

    # The dashboards count it: the coordinator's own area, national by area (counts only).
    national = await world.staff(Role.national)
    for who, shown in ((flow.coordinator, 1), (national, "*")):  # national: 1 to 7 suppressed, as every count
        board = await api.get("/reports/dashboard", params={"period": "2025-Q3"}, headers=who.headers)
        assert board.status_code == 200, board.text
        assert {a["area_ods"]: a["overdue_actions"] for a in board.json()["areas"]}["15F"] == shown
    published = await api.get(
        "/reports/dashboard", params={"period": "2025-Q3"}, headers={**national.headers, "Accept": "text/csv"}
    )
    assert "overdue_actions" in published.text.splitlines()[0]

    # The annual report's "Learning into action": themes, actions by status and owner, overdue, completed.
    annual = await api.get("/reports/areas/15F/annual", params={"year": 2025}, headers=flow.coordinator.headers)
    assert annual.status_code == 200, annual.text
    learning = annual.json()["learning_into_action"]
    assert learning["actions_by_status"] == {"planned": 1, "in_progress": 0, "completed": 1, "not_achieved": 0}
    assert (learning["overdue"], learning["completed_in_year"]) == (1, 1)
    assert [(o["owner_organisation"], o["overdue"]) for o in learning["actions_by_owner"]] == [
        ("Hilltop PCN", 1),
        ("Riverside NHS Trust", 0),
    ]
    assert {t["theme"]: t["actions"]["total"] for t in learning["themes"]}["grade_4_to_6"] == 2
    assert learning["open_priorities"][0]["actions"] == 1
    page = await api.get("/reports/areas/15F/annual.html", params={"year": 2025}, headers=flow.coordinator.headers)
    assert page.status_code == 200 and "Learning into action" in page.text
    assert "drinking pathway" not in page.text  # counts, never an action's text
    published = await api.get("/reports/areas/15F/annual.csv", params={"year": 2025}, headers=flow.coordinator.headers)
    rows = [line.split(",") for line in published.text.splitlines()]
    assert ["15F", "2025", "learning_into_action", "overdue", "Overdue", "*", ""] in rows  # 1: suppressed
    assert "drinking pathway" not in published.text

    # National: counts and themes only (disclosure-controlled), never the plan itself.
    assert (await api.get("/actions", headers=national.headers)).status_code == 403
    assert (await api.get(f"/actions/{dysphagia['id']}", headers=national.headers)).status_code == 403
    seen = await api.get("/areas/15F/themes", params={"from": "2025-01", "to": "2025-12"}, headers=national.headers)
    assert seen.status_code == 200, seen.text
    assert seen.json()["disclosure_controlled"] is True
    assert seen.json()["signed_off_reviews"] == "*"  # one review: suppressed
    national_themes = {t["theme"]: t for t in seen.json()["themes"]}
    assert national_themes["grade_4_to_6"]["actions"]["total"] == "*"  # action counts too
    assert "drinking pathway" not in seen.text and "Riverside" not in seen.text
    national_annual = await api.get("/reports/areas/15F/annual", params={"year": 2025}, headers=national.headers)
    assert national_annual.json()["learning_into_action"]["overdue"] == "*"
    assert "drinking pathway" not in national_annual.text


async def test_who_may_see_and_change_the_plan(api, world, flow):
    case = await signed_off(flow, TWO_ACTIONS)
    action = (await plan(api, flow.coordinator))[0]
    url = f"/actions/{action['id']}"

    # The review's reviewer sees its actions, read-only; another reviewer and another area see nothing.
    assert {a["id"] for a in await plan(api, flow.reviewer)} == {a["id"] for a in await plan(api, flow.coordinator)}
    assert (await api.get(url, headers=flow.reviewer.headers)).status_code == 200
    assert (await update(api, flow.reviewer, action, {"note": "x", "status": "in_progress"})).status_code == 403
    other_reviewer = await flow.register_reviewer("Other Reviewer")
    assert await plan(api, other_reviewer) == []
    assert (await api.get(url, headers=other_reviewer.headers)).status_code == 404
    manchester = await world.staff(Role.coordinator, "14L")
    assert await plan(api, manchester) == []
    assert (await api.get(url, headers=manchester.headers)).status_code == 404
    stale = {**manchester.headers, "If-Match": '"1"'}
    assert (await api.post(f"{url}/updates", json={"note": "x"}, headers=stale)).status_code == 404
    themes = {"from": "2025-01", "to": "2025-12"}
    assert (await api.get("/areas/15F/themes", params=themes, headers=manchester.headers)).status_code == 404
    assert (await api.get("/areas/15F/themes", params=themes, headers=flow.reviewer.headers)).status_code == 403
    integrator = await world.integrator(api, [Scope.events_read, Scope.actions_read], ["15F"])
    assert (await api.get("/actions", headers=integrator)).status_code == 403
    # A family never sees the plan: the family role is not in the policy row (tests/test_access_matrix.py).
    assert case.id


async def test_updates_need_a_note_a_reason_and_the_current_version(api, world, flow):
    await signed_off(flow, TWO_ACTIONS)
    action = (await plan(api, flow.coordinator))[0]
    url = f"/actions/{action['id']}/updates"
    headers = flow.coordinator.headers
    assert (await api.post(url, json={"status": "in_progress", "note": "Started"}, headers=headers)).status_code == 428
    wrong = {**headers, "If-Match": '"7"'}
    assert (await api.post(url, json={"status": "in_progress", "note": "Started"}, headers=wrong)).status_code == 412

    missing_note = await update(api, flow.coordinator, action, {"status": "completed", "note": " "})
    assert missing_note.status_code == 422
    moved = await update(api, flow.coordinator, action, {"note": "Waiting on the trust", "due_on": "2025-09-30"})
    assert moved.status_code == 422
    assert moved.headers["content-type"] == "application/problem+json"
    assert "due_on_reason" in moved.text

    moved = await update(
        api, flow.coordinator, action,
        {"note": "Waiting on the trust", "due_on": "2025-09-30", "due_on_reason": "Board meets in September"},
    )  # fmt: skip
    assert moved.status_code == 201, moved.text
    assert moved.json()["due_on"] == "2025-09-30"
    assert moved.json()["updates"][-1]["from_due_on"] == action["due_on"]
    failed = await update(api, flow.coordinator, action, {"status": "not_achieved", "note": "Funding withdrawn"})
    assert failed.status_code == 201, failed.text
    reopened = await update(api, flow.coordinator, action, {"status": "in_progress", "note": "Try again"})
    assert reopened.status_code == 422  # finished stays finished
    history = (await api.get(f"/actions/{action['id']}", headers=headers)).json()["updates"]
    assert [(u["from_status"], u["to_status"]) for u in history] == [
        ("planned", "planned"),
        ("planned", "not_achieved"),
    ]


async def test_a_coordinator_adds_an_area_action_answering_a_theme(api, world, flow):
    case = await signed_off(flow, TWO_ACTIONS)
    body = {
        "what": "Aspiration pneumonia pathway across the area",
        "owner_organisation": "Integrated Care Board",
        "due_on": "2026-03-31",
        "themes": ["contributory_factor.delays_in_diagnosis_or_treatment"],
        "notification_id": case.id,
    }
    created = await api.post("/actions", json=body, headers=flow.coordinator.headers)
    assert created.status_code == 201, created.text
    assert (created.json()["from_review"], created.headers["etag"]) == (False, '"1"')
    found = await plan(api, flow.coordinator, theme="contributory_factor.delays_in_diagnosis_or_treatment")
    assert len(found) == 3
    assert [a["what"] for a in await plan(api, flow.coordinator, owner_organisation="Integrated Care Board")] == [
        body["what"]
    ]

    bad = await api.post("/actions", json={**body, "themes": ["made_up"]}, headers=flow.coordinator.headers)
    assert bad.status_code == 422
    control = await api.post("/actions", json={**body, "what": "=cmd\x07"}, headers=flow.coordinator.headers)
    assert control.status_code == 422
    manchester = await world.staff(Role.coordinator, "14L")
    foreign = await api.post("/actions", json=body, headers=manchester.headers)
    assert foreign.status_code == 422  # not a review of their area
    assert (await api.post("/actions", json=body, headers=flow.reviewer.headers)).status_code == 403


async def test_the_plan_pages_by_keyset(api, flow):
    await signed_off(flow, TWO_ACTIONS)
    first = await api.get("/actions", params={"limit": 1}, headers=flow.coordinator.headers)
    assert first.status_code == 200
    cursor = first.json()["next_cursor"]
    assert cursor
    second = await api.get("/actions", params={"limit": 1, "cursor": cursor}, headers=flow.coordinator.headers)
    assert second.json()["next_cursor"] is None
    assert first.json()["items"][0]["id"] != second.json()["items"][0]["id"]
    bad = await api.get("/actions", params={"cursor": "nonsense"}, headers=flow.coordinator.headers)
    assert bad.status_code == 422
