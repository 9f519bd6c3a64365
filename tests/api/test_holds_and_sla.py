"""Holds, focused reviews, the SLA block and explanation, and the coordinator's lists."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.auth.policy import Role
from tests.workflow import Flow


@pytest.fixture
async def flow(api, world):
    return await Flow.start(api, world)


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


async def test_a_hold_stops_the_clock_and_resuming_returns_to_the_stage_it_left(api, flow, clock):
    case = await flow.reach("initial_review")  # notified 17 March 2025: due 17 September
    placed = await flow.hold(case, reference="Inquest 2025/117", expected_end_on="2025-05-01")
    assert placed.status_code == 201, placed.text
    body = placed.json()
    hold = body["hold"]
    assert body["stage"] == "on_hold"
    assert (hold["reason"], hold["reference"], hold["stage_before"]) == (
        "coroner_investigation",
        "Inquest 2025/117",
        "initial_review",
    )
    assert body["sla"]["hold_adjusted"]["paused"] is True

    clock.set(at("2025-04-16"))  # 30 days later
    flow.refresh_tokens()
    during = await flow.get(case)
    assert during["sla"]["hold_adjusted"]["due_on"] == "2025-10-17"
    assert during["sla"]["raw"]["due_on"] == "2025-09-17"
    assert during["sla"]["hold_adjusted"]["days_remaining"] == 184  # unchanged while paused

    resumed = await flow.end_hold(case, hold["id"])
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["stage"] == "initial_review"
    assert resumed.json()["hold"] is None
    assert resumed.json()["sla"]["hold_adjusted"]["paused"] is False

    explained = (await api.get(f"/notifications/{case.id}/sla", headers=flow.coordinator.headers)).json()
    assert explained["holds"] == [
        {"reason": "coroner_investigation", "started_on": "2025-03-17", "ended_on": "2025-04-16", "days": 30}
    ]
    assert explained["arithmetic"][0] == "notified on 2025-03-17; + 6 calendar months = 2025-09-17"
    assert explained["arithmetic"][1] == "+ 30 days on hold = due on 2025-10-17"

    history = (await api.get(f"/notifications/{case.id}/history", headers=flow.coordinator.headers)).json()
    held, back = history[-2], history[-1]
    assert (held["from_stage"], held["to_stage"], held["reason"]) == (
        "initial_review",
        "on_hold",
        "coroner_investigation",
    )
    assert held["details"]["reference"] == "Inquest 2025/117"
    assert (back["from_stage"], back["to_stage"]) == ("on_hold", "initial_review")


async def test_hold_refusals(api, flow):
    case = await flow.reach("on_hold")
    hold_id = (await flow.get(case))["hold"]["id"]
    assert (await flow.hold(case)).status_code == 409  # already on hold
    assert (
        await flow.write("POST", case, "/holds", flow.reviewer, {"reason": "police_investigation"})
    ).status_code == 403
    assert (await flow.hold(case, reason="holiday")).status_code == 422
    assert (await flow.end_hold(case, hold_id)).status_code == 200
    assert (await flow.end_hold(case, hold_id)).status_code == 409  # already ended
    assert (await flow.end_hold(case, "00000000-0000-0000-0000-000000000000")).status_code == 404


async def test_excluding_a_review_on_hold_ends_the_hold(api, flow):
    case = await flow.reach("on_hold")
    response = await flow.move(case, "excluded", flow.coordinator, reason="Out of area: transferred")
    assert response.status_code == 200
    assert response.json()["hold"] is None
    assert response.json()["sla"] is None


async def test_a_required_focused_review_cannot_be_skipped_without_a_coordinators_decision(api, flow):
    case = await flow.notify(**{"person.ethnic_category": "N"})  # Black or Black British: African
    assert (await flow.allocate(case)).status_code == 200
    assert (await flow.move(case, "initial_review", flow.reviewer)).status_code == 200
    await flow.complete_findings(case)
    before = await flow.get(case)
    assert before["focused_review"] == {
        "required": True,
        "reasons": ["minority_ethnic_background"],
        "outstanding": ["minority_ethnic_background"],
        "done": False,
        "waiver": None,
    }

    refused = await flow.move(case, "awaiting_sign_off", flow.reviewer)
    assert refused.status_code == 409
    assert refused.json()["reasons"] == ["minority_ethnic_background"]

    by_reviewer = await flow.write("POST", case, "/focused-review-waiver", flow.reviewer, {"reason": "x"})
    assert by_reviewer.status_code == 403
    waived = await flow.write(
        "POST", case, "/focused-review-waiver", flow.coordinator, {"reason": "Steering group: no concerns found"}
    )
    assert waived.status_code == 200
    assert waived.json()["focused_review"]["required"] is False
    assert waived.json()["focused_review"]["waiver"]["reason"] == "Steering group: no concerns found"
    assert (await flow.move(case, "awaiting_sign_off", flow.reviewer)).status_code == 200


async def test_waiving_what_is_not_required_is_refused(api, flow):
    case = await flow.reach("initial_review")  # White British: no reason applies
    response = await flow.write("POST", case, "/focused-review-waiver", flow.coordinator, {"reason": "x"})
    assert response.status_code == 409


async def test_completion_on_and_after_the_due_date(api, flow, clock, world):
    on_time = await flow.reach("awaiting_sign_off", "9990000018")
    late = await flow.reach("awaiting_sign_off", "9990000026")
    clock.set(at("2025-09-17", hour=22))  # 23:00 in London: still 17 September
    flow.refresh_tokens()
    await flow.get(on_time)
    met = await flow.move(on_time, "completed", flow.coordinator)
    clock.set(at("2025-09-17", hour=23))  # midnight in London (BST): 18 September
    flow.refresh_tokens()
    await flow.get(late)
    missed = await flow.move(late, "completed", flow.coordinator)

    assert met.json()["sla"]["completed_on"] == "2025-09-17"
    assert met.json()["sla"]["state"] == "met"
    assert missed.json()["sla"]["completed_on"] == "2025-09-18"
    assert missed.json()["sla"]["state"] == "missed"
    met_list = await api.get("/notifications", params={"sla_state": "met"}, headers=flow.coordinator.headers)
    assert [n["id"] for n in met_list.json()["items"]] == [on_time.id]


async def test_the_coordinators_questions_each_take_one_request(api, flow, clock, world):
    # Three notifications, notified on different days; one allocated; one on an overdue hold.
    old = await flow.notify("9990000018", notified_on="2025-03-11")
    newer = await flow.notify("9990000026", notified_on="2025-03-14")
    allocated = await flow.notify("9990000034", notified_on="2025-03-12")
    assert (await flow.allocate(allocated)).status_code == 200
    held = await flow.notify("9990000042", notified_on="2025-03-13")
    assert (await flow.hold(held, expected_end_on="2025-04-01")).status_code == 201

    clock.set(at("2025-08-20"))  # the 11 March one is due on 11 September: 22 days left
    flow.refresh_tokens()
    headers = flow.coordinator.headers

    unallocated = (await api.get("/notifications", params={"unallocated": "true"}, headers=headers)).json()
    assert [n["id"] for n in unallocated["items"]] == [old.id, held.id, newer.id]  # oldest first

    breaching = await api.get("/notifications", params={"sla_state": "at_risk", "sort": "due"}, headers=headers)
    assert [n["id"] for n in breaching.json()["items"]] == [old.id, allocated.id, newer.id]
    due_soon = await api.get("/notifications", params={"due_before": "2025-09-12", "sort": "due"}, headers=headers)
    assert [n["id"] for n in due_soon.json()["items"]] == [old.id, allocated.id]

    overdue_holds = (await api.get("/notifications", params={"hold_overdue": "true"}, headers=headers)).json()
    assert [n["id"] for n in overdue_holds["items"]] == [held.id]

    reviewers = (await api.get("/reviewers", headers=headers)).json()
    rae = next(r for r in reviewers if r["id"] == str(flow.reviewer.user.id))
    assert (rae["active_reviews"], rae["at_risk"], rae["breached"], rae["next_due_on"]) == (1, 1, 0, "2025-09-12")

    clock.set(at("2025-09-13"))
    flow.refresh_tokens()
    breached = await api.get("/notifications", params={"sla_state": "breached"}, headers=flow.coordinator.headers)
    assert [n["id"] for n in breached.json()["items"]] == [old.id, allocated.id]
    on_track = await api.get("/notifications", params={"sla_state": "on_track"}, headers=flow.coordinator.headers)
    assert [n["id"] for n in on_track.json()["items"]] == [held.id]  # paused with all its days left


async def test_sorting_by_due_date_pages_without_gaps(api, flow):
    numbers = ["9990000018", "9990000026", "9990000034", "9990000042", "9434765919"]
    days = ["2025-03-12", "2025-03-11", "2025-03-12", "2025-03-13", "2025-03-10"]
    for number, day in zip(numbers, days, strict=True):
        await flow.notify(number, notified_on=day)
    seen, cursor = [], None
    while True:
        params = {"sort": "due", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/notifications", params=params, headers=flow.coordinator.headers)).json()
        seen += [n["sla"]["hold_adjusted"]["due_on"] for n in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen)
    assert len(seen) == 5
    mixed = await api.get(
        "/notifications", params={"sort": "notified", "cursor": cursor or "x"}, headers=flow.coordinator.headers
    )
    assert mixed.status_code == 422


async def test_reviewers_are_registered_and_seen_only_in_their_area(api, world, flow):
    manchester = await world.staff(Role.coordinator, "14L")
    theirs = await api.get(f"/reviewers/{flow.reviewer.user.id}", headers=manchester.headers)
    assert theirs.status_code == 404
    assert (await api.get("/reviewers", headers=manchester.headers)).json() == []
    assert (await api.get("/reviewers", headers=flow.reviewer.headers)).status_code == 403

    url = f"/reviewers/{flow.reviewer.user.id}"
    read = await api.get(url, headers=flow.coordinator.headers)
    etag = read.headers["etag"]
    change = {"organisations": ["RR8"], "max_active_reviews": 3}
    assert (await api.patch(url, json=change, headers=flow.coordinator.headers)).status_code == 428
    changed = await api.patch(url, json=change, headers={**flow.coordinator.headers, "If-Match": etag})
    assert (changed.json()["organisations"], changed.json()["max_active_reviews"]) == (["RR8"], 3)
    assert changed.headers["etag"] != etag
    stale = await api.patch(url, json={"active": False}, headers={**flow.coordinator.headers, "If-Match": etag})
    assert stale.status_code == 412
    elsewhere = await api.patch(url, json={"active": False}, headers={**manchester.headers, "If-Match": etag})
    assert elsewhere.status_code == 404
    bad = await api.post(
        "/reviewers",
        json={"name": "X", "email": "x@leder-test.org.uk", "max_active_reviews": 0, "organisations": ["bad code"]},
        headers=flow.coordinator.headers,
    )
    assert bad.status_code == 422


async def test_workload_lists_active_reviews_most_urgent_first(api, flow):
    first = await flow.notify("9990000018", notified_on="2025-03-14")
    second = await flow.notify("9990000026", notified_on="2025-03-11")
    for case in (first, second):
        assert (await flow.allocate(case)).status_code == 200
    workload = (await api.get(f"/reviewers/{flow.reviewer.user.id}/workload", headers=flow.coordinator.headers)).json()
    assert [r["notification_id"] for r in workload["reviews"]] == [second.id, first.id]
    assert workload["reviews"][0]["due_on"] == "2025-09-11"
    assert workload["reviewer"]["active_reviews"] == 2


async def test_events_are_written_with_the_changes_and_not_without_them(api, flow, world):
    from sqlmodel import col, select

    from app.events.models import OutboxEvent

    case = await flow.reach("allocated")
    await flow.move(case, "completed", flow.reviewer)  # refused: nothing may be written
    async with world.session() as session:
        events = (await session.exec(select(OutboxEvent).order_by(col(OutboxEvent.id)))).all()
    assert [e.type for e in events] == ["notification.created", "notification.stage_changed", "notification.allocated"]
    assert all(e.area_ods == "15F" and str(e.notification_id) == case.id for e in events)
    assert "9434765919" not in repr([e.payload for e in events])


@pytest.mark.parametrize("stage", ["notified", "allocated", "initial_review", "focused_review", "awaiting_sign_off"])
async def test_every_open_stage_can_be_held_and_resumed_to_itself(api, flow, stage):
    case = await flow.reach(stage)
    held = await flow.hold(case, reason="safeguarding_adults_review")
    assert held.status_code == 201, held.text
    assert held.json()["stage"] == "on_hold"
    resumed = await flow.end_hold(case, held.json()["hold"]["id"])
    assert resumed.status_code == 200
    assert resumed.json()["stage"] == stage


async def test_allocating_while_on_hold_resumes_as_allocated(api, flow):
    case = await flow.reach("notified")
    hold_id = (await flow.hold(case)).json()["hold"]["id"]
    allocated = await flow.allocate(case)
    assert allocated.json()["stage"] == "on_hold"
    assert allocated.json()["hold"]["stage_before"] == "allocated"
    assert (await flow.end_hold(case, hold_id)).json()["stage"] == "allocated"


async def test_a_hold_cannot_be_expected_to_end_in_the_past(api, flow):
    case = await flow.reach("allocated")
    response = await flow.hold(case, expected_end_on="2025-03-16")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "expected_end_on"


async def test_hold_and_resume_write_events_without_personal_data(api, flow, world):
    from sqlmodel import col, select

    from app.events.models import OutboxEvent

    case = await flow.reach("allocated")
    hold_id = (await flow.hold(case, reference="SAR-7", expected_end_on="2025-06-30")).json()["hold"]["id"]
    await flow.end_hold(case, hold_id)
    async with world.session() as session:
        events = (await session.exec(select(OutboxEvent).order_by(col(OutboxEvent.id)))).all()
    held = next(e for e in events if e.type == "notification.put_on_hold")
    resumed = next(e for e in events if e.type == "notification.resumed")
    assert held.payload == {"stage": "on_hold", "hold_reason": "coroner_investigation", "expected_end_on": "2025-06-30"}
    assert resumed.payload == {"stage": "allocated", "hold_reason": "coroner_investigation"}


async def test_the_sla_arithmetic_is_not_for_national_oversight(api, world, flow):
    case = await flow.notify()
    national = await world.staff(Role.national)
    assert (await api.get(f"/notifications/{case.id}/sla", headers=national.headers)).status_code == 403
    assert (await api.get(f"/notifications/{case.id}", headers=national.headers)).status_code == 200


async def test_a_cursor_outside_the_calendar_is_refused(api, flow):
    import base64
    import json

    raw = json.dumps(["due", 10**30, "00000000-0000-0000-0000-000000000000"]).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    response = await api.get(
        "/notifications", params={"sort": "due", "cursor": cursor}, headers=flow.coordinator.headers
    )
    assert response.status_code == 422


async def test_the_previous_reviewer_can_no_longer_move_the_review(api, flow):
    case = await flow.reach("allocated")
    other = await flow.register_reviewer("Second Reviewer")
    assert (await flow.allocate(case, other, reason="Conflict found late")).status_code == 200
    assert (await flow.move(case, "initial_review", flow.reviewer)).status_code == 404
    assert (await flow.move(case, "initial_review", other)).status_code == 200


async def _minority_case_in_initial_review(flow):
    case = await flow.notify(**{"person.ethnic_category": "H"})  # Asian or Asian British: Indian
    assert (await flow.allocate(case)).status_code == 200
    assert (await flow.move(case, "initial_review", flow.reviewer)).status_code == 200
    await flow.complete_findings(case)
    return case


async def test_a_focused_review_done_satisfies_the_requirement_even_after_a_send_back(api, flow):
    case = await _minority_case_in_initial_review(flow)
    assert (await flow.move(case, "focused_review", flow.reviewer)).status_code == 200
    assert (await flow.move(case, "awaiting_sign_off", flow.reviewer)).status_code == 200
    sent_back = await flow.move(case, "initial_review", flow.coordinator, reason="Add the GP's account")
    assert sent_back.json()["focused_review"]["done"] is True
    assert (await flow.move(case, "awaiting_sign_off", flow.reviewer)).status_code == 200
    assert (await flow.move(case, "completed", flow.coordinator)).status_code == 200


async def test_a_waiver_covers_only_the_reasons_it_was_given_for(api, flow, world):
    from app.notifications.models import Notification

    case = await _minority_case_in_initial_review(flow)
    waiver = {"reason": "Steering group decision 2025-03"}
    assert (await flow.write("POST", case, "/focused-review-waiver", flow.coordinator, waiver)).status_code == 200
    assert (await flow.move(case, "awaiting_sign_off", flow.reviewer)).status_code == 200

    # Later the family asks for a focused review (recorded by the families work in a later issue).
    import uuid

    async with world.session() as session:
        row = await session.get(Notification, uuid.UUID(case.id))
        row.focused_review_requested_by_family = True
        await session.commit()
    refused = await flow.move(case, "completed", flow.coordinator)
    assert refused.status_code == 409
    assert refused.json()["reasons"] == ["family_requested"]
    assert (await flow.get(case))["focused_review"]["outstanding"] == ["family_requested"]


async def test_a_closed_review_takes_no_waiver(api, flow):
    case = await flow.notify(**{"person.ethnic_category": "M"})
    assert (await flow.move(case, "excluded", flow.coordinator, reason="Duplicate")).status_code == 200
    response = await flow.write("POST", case, "/focused-review-waiver", flow.coordinator, {"reason": "x"})
    assert response.status_code == 409


async def test_a_hold_can_be_backdated_to_the_day_the_other_process_began(api, flow, clock):
    case = await flow.reach("initial_review")  # notified 17 March 2025: due 17 September
    clock.set(at("2025-04-20"))  # the inquest opened on 1 April; the service hears of it on 20 April
    flow.refresh_tokens()
    placed = await flow.hold(case, reference="Inquest 2025/117", started_on="2025-04-01")
    assert placed.status_code == 201, placed.text
    hold = placed.json()["hold"]
    assert hold["started_on"] == "2025-04-01" and hold["started_at"].startswith("2025-04-20")
    clock_now = placed.json()["sla"]["hold_adjusted"]
    assert clock_now["paused"] is True and clock_now["due_on"] == "2025-10-06"  # 19 days on hold so far

    clock.set(at("2025-05-10"))  # it closed on 1 May; the service hears on 10 May
    flow.refresh_tokens()
    resumed = await flow.write("POST", case, f"/holds/{hold['id']}/end", flow.coordinator, {"ended_on": "2025-05-01"})
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["sla"]["hold_adjusted"]["due_on"] == "2025-10-17"  # 30 days: 1 April to 1 May
    explained = (await api.get(f"/notifications/{case.id}/sla", headers=flow.coordinator.headers)).json()
    assert explained["holds"] == [
        {"reason": "coroner_investigation", "started_on": "2025-04-01", "ended_on": "2025-05-01", "days": 30}
    ]

    history = (await api.get(f"/notifications/{case.id}/history", headers=flow.coordinator.headers)).json()
    held, back = history[-2], history[-1]
    assert held["details"]["started_on"] == "2025-04-01" and held["at"].startswith("2025-04-20")  # effective, entered
    assert back["details"]["ended_on"] == "2025-05-01" and back["at"].startswith("2025-05-10")
    assert held["actor"] == back["actor"] and held["actor"]  # who entered each


async def test_a_backdated_hold_overlapping_an_earlier_one_counts_its_days_once(api, flow, clock):
    case = await flow.reach("initial_review")  # notified 17 March 2025
    clock.set(at("2025-03-20"))
    flow.refresh_tokens()
    first = (await flow.hold(case, reason="police_investigation")).json()["hold"]
    clock.set(at("2025-04-01"))
    flow.refresh_tokens()
    assert (await flow.end_hold(case, first["id"])).status_code == 200  # 20 March to 1 April: 12 days
    clock.set(at("2025-04-10"))
    flow.refresh_tokens()
    second = await flow.hold(case, started_on="2025-03-25")  # the inquest had opened while the first ran
    assert second.status_code == 201, second.text
    ended = await flow.end_hold(case, second.json()["hold"]["id"])
    assert ended.status_code == 200
    explained = (await api.get(f"/notifications/{case.id}/sla", headers=flow.coordinator.headers)).json()
    assert explained["hold_adjusted"]["days_on_hold"] == 21  # 20 March to 10 April, once
    assert explained["hold_adjusted"]["due_on"] == "2025-10-08"
    assert "7 days of hold not counted (overlapping, or begun after the due date)" in explained["arithmetic"]


async def test_backdated_days_are_checked(api, flow, clock):
    case = await flow.reach("initial_review")  # notified 17 March 2025
    clock.set(at("2025-04-20"))
    flow.refresh_tokens()
    for started_on, field in (("2025-04-21", "started_on"), ("2025-03-16", "started_on"), ("1890-01-01", "started_on")):
        refused = await flow.hold(case, started_on=started_on)
        assert refused.status_code == 422, started_on
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["errors"][0]["field"] == field
    assert (await flow.get(case))["stage"] == "initial_review"  # nothing half-written
    hold = (await flow.hold(case, started_on="2025-04-10")).json()["hold"]
    for ended_on in ("2025-04-09", "2025-04-21", "not a day"):
        refused = await flow.write("POST", case, f"/holds/{hold['id']}/end", flow.coordinator, {"ended_on": ended_on})
        assert refused.status_code == 422, ended_on
        assert refused.json()["errors"][0]["field"] == "ended_on"
    assert (await flow.get(case))["stage"] == "on_hold"
    same_day = await flow.write("POST", case, f"/holds/{hold['id']}/end", flow.coordinator, {"ended_on": "2025-04-10"})
    assert same_day.status_code == 200, same_day.text
    assert same_day.json()["sla"]["hold_adjusted"]["days_on_hold"] == 0
