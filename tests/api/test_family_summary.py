"""The completed review's summary: the family chooses to receive it, the coordinator releases it."""

from __future__ import annotations

import httpx
import pytest

from app.auth.policy import Role, Scope
from tests.api.test_families import invite, session_for
from tests.workflow import Flow

SUMMARY = {"text": "The review found that Joan's care was good. The team will share what it learned."}


@pytest.fixture
async def flow(api, world):
    return await Flow.start(api, world)


async def release(api, flow, case, body=SUMMARY):
    return await api.put(f"/notifications/{case.id}/family-summary", json=body, headers=flow.coordinator.headers)


async def test_a_family_who_asked_reads_the_released_summary_of_the_completed_review(api, flow):
    case = await flow.reach("initial_review")
    family = await session_for(api, (await invite(api, flow, case))["code"])
    not_a_boolean = await api.put("/family/summary-preference", json={"wants_summary": 1}, headers=family)
    assert not_a_boolean.status_code == 422
    chose = await api.put("/family/summary-preference", json={"wants_summary": True}, headers=family)
    assert chose.status_code == 200, chose.text
    assert chose.json()["summary_requested"] is True
    assert chose.json()["summary_available"] is False

    early = await release(api, flow, case)
    assert early.status_code == 409  # only a completed review has a summary to release
    assert (await api.get("/family/summary", headers=family)).status_code == 404

    await flow.complete_findings(case)
    assert (await flow.move(case, "awaiting_sign_off", flow.reviewer)).status_code == 200
    assert (await flow.move(case, "completed", flow.coordinator)).status_code == 200
    assert (await api.get("/family/summary", headers=family)).status_code == 404  # not yet released

    released = await release(api, flow, case)
    assert released.status_code == 200, released.text
    assert released.json()["families_asked"] == 1
    assert (await api.get("/family/review", headers=family)).json()["summary_available"] is True
    read = await api.get("/family/summary", headers=family)
    assert read.status_code == 200
    assert read.json() == {"text": SUMMARY["text"], "released_on": "2025-03-17", "actions_agreed": 0}

    corrected = await release(api, flow, case, {"text": "A corrected summary."})
    assert corrected.status_code == 200
    assert (await api.get("/family/summary", headers=family)).json()["text"] == "A corrected summary."
    kinds = [
        e["kind"] for e in (await api.get(f"/notifications/{case.id}/history", headers=flow.coordinator.headers)).json()
    ]
    assert kinds.count("family_summary_released") == 2
    assert "family_summary_choice" in kinds


async def test_a_family_who_did_not_ask_does_not_receive_it_until_they_choose_to(api, flow):
    case = await flow.reach("completed")
    family = await session_for(api, (await invite(api, flow, case))["code"])
    assert (await release(api, flow, case)).json()["families_asked"] == 0
    assert (await api.get("/family/summary", headers=family)).status_code == 404
    assert (await api.get("/family/review", headers=family)).json()["summary_available"] is False

    await api.put("/family/summary-preference", json={"wants_summary": True}, headers=family)
    assert (await api.get("/family/summary", headers=family)).status_code == 200
    await api.put("/family/summary-preference", json={"wants_summary": False}, headers=family)
    assert (await api.get("/family/summary", headers=family)).status_code == 404


async def test_the_choice_is_each_family_members_own(api, flow):
    case = await flow.reach("completed")
    asking = await session_for(api, (await invite(api, flow, case))["code"])
    other = await session_for(api, (await invite(api, flow, case))["code"])
    await api.put("/family/summary-preference", json={"wants_summary": True}, headers=asking)
    await release(api, flow, case)
    assert (await api.get("/family/summary", headers=asking)).status_code == 200
    assert (await api.get("/family/summary", headers=other)).status_code == 404
    invitations = (
        await api.get(f"/notifications/{case.id}/family-invitations", headers=flow.coordinator.headers)
    ).json()
    assert sorted(i["wants_summary"] for i in invitations) == [False, True]


async def test_a_family_never_reads_another_reviews_summary(api, flow):
    theirs = await flow.reach("completed")
    mine = await flow.reach("completed", number="4010232137")
    family = await session_for(api, (await invite(api, flow, mine))["code"])
    await api.put("/family/summary-preference", json={"wants_summary": True}, headers=family)
    assert (await release(api, flow, theirs, {"text": "Their summary."})).status_code == 200
    assert (await api.get("/family/summary", headers=family)).status_code == 404
    assert (await release(api, flow, mine, {"text": "Our summary."})).status_code == 200
    assert (await api.get("/family/summary", headers=family)).json()["text"] == "Our summary."
    staff_route = await api.get(f"/notifications/{theirs.id}/family-summary", headers=family)
    assert staff_route.status_code == 403


async def test_only_the_areas_coordinator_releases_or_reads_the_staff_view(api, world, flow):
    case = await flow.reach("completed")
    other_area = await world.area("99X")
    stranger = await world.staff(Role.coordinator, area=other_area)
    refused = await api.put(f"/notifications/{case.id}/family-summary", json=SUMMARY, headers=stranger.headers)
    assert refused.status_code == 404
    assert (
        await api.put(f"/notifications/{case.id}/family-summary", json=SUMMARY, headers=flow.reviewer.headers)
    ).status_code == 403
    assert (
        await api.get(f"/notifications/{case.id}/family-summary", headers=flow.coordinator.headers)
    ).status_code == 404  # none released yet
    assert (await release(api, flow, case, {"text": ""})).status_code == 422
    assert (await release(api, flow, case, {"text": "x", "grade": 1})).status_code == 422
    assert (await release(api, flow, case)).status_code == 200
    assert (await api.get(f"/notifications/{case.id}/family-summary", headers=flow.coordinator.headers)).json()[
        "text"
    ] == SUMMARY["text"]


async def test_the_release_date_is_the_day_in_england_and_the_release_is_announced(api, world, flow, clock):
    from datetime import UTC, datetime

    case = await flow.reach("completed")
    family = await session_for(api, (await invite(api, flow, case))["code"])
    await api.put("/family/summary-preference", json={"wants_summary": True}, headers=family)
    clock.set(datetime(2025, 6, 1, 23, 30, tzinfo=UTC))  # 00:30 on 2 June in England
    flow.refresh_tokens()
    family = await session_for(api, (await invite(api, flow, case))["code"])
    await api.put("/family/summary-preference", json={"wants_summary": True}, headers=family)
    assert (await release(api, flow, case)).status_code == 200
    assert (await api.get("/family/summary", headers=family)).json()["released_on"] == "2025-06-02"
    reader = await world.integrator(api, [Scope.events_read], ["15F"])
    await world.relay()
    types = [e["type"] for e in (await api.get("/events", headers=reader)).json()["items"]]
    assert types[-1] == "family_summary.released"


async def test_there_is_no_summary_to_ask_for_when_the_death_is_not_reviewed(api, flow):
    case = await flow.notify()
    family = await session_for(api, (await invite(api, flow, case))["code"])
    excluded = await flow.move(case, "excluded", flow.coordinator, "duplicate of an earlier notification")
    assert excluded.status_code == 200
    refused = await api.put("/family/summary-preference", json={"wants_summary": True}, headers=family)
    assert refused.status_code == 409


async def test_the_summary_says_how_many_actions_the_review_agreed_never_what_they_are(api, flow):
    from tests.api.test_action_plan import TWO_ACTIONS, signed_off
    from tests.api.test_family_pages import PAGES, sign_in

    case = await signed_off(flow, TWO_ACTIONS)
    code = (await invite(api, flow, case))["code"]
    family = await session_for(api, code)
    await api.put("/family/summary-preference", json={"wants_summary": True}, headers=family)
    assert (await release(api, flow, case)).status_code == 200
    read = (await api.get("/family/summary", headers=family)).json()
    assert read["actions_agreed"] == 2
    assert "Riverside" not in str(read) and "pathway" not in str(read)  # the plan's text stays with staff

    async with httpx.AsyncClient(transport=api._transport, base_url="https://testserver") as browser:
        await sign_in(browser, code)
        page = await browser.get(f"{PAGES}/summary")
    assert page.status_code == 200
    assert "The review agreed 2 actions for local" in page.text
    assert "Riverside" not in page.text
