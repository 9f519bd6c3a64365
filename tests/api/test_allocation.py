"""Allocation and reallocation: who may be allocated, the refusals, ETags, and who sees what after."""

from __future__ import annotations

import asyncio

import pytest

from app.auth.policy import Role
from tests.workflow import Flow


@pytest.fixture
async def flow(api, world):
    return await Flow.start(api, world)


async def test_allocation_gives_the_reviewer_sight_of_the_review(api, flow):
    case = await flow.notify()
    assert (await api.get(f"/notifications/{case.id}", headers=flow.reviewer.headers)).status_code == 404

    response = await flow.allocate(case)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["stage"], body["reviewer_id"]) == ("allocated", str(flow.reviewer.user.id))
    assert response.headers["etag"] == f'"{body["version"]}"'
    seen = await api.get(f"/notifications/{case.id}", headers=flow.reviewer.headers)
    assert seen.status_code == 200
    listed = await api.get("/notifications", headers=flow.reviewer.headers)
    assert [n["id"] for n in listed.json()["items"]] == [case.id]


async def test_reallocation_needs_a_reason_and_hides_the_review_from_the_previous_reviewer(api, flow):
    case = await flow.reach("initial_review")
    other = await flow.register_reviewer("Second Reviewer")

    without = await flow.allocate(case, other)
    assert without.status_code == 422
    assert without.json()["errors"][0]["field"] == "reason"

    moved = await flow.allocate(case, other, reason="Rae is on long-term leave")
    assert moved.status_code == 200
    assert moved.json()["stage"] == "initial_review"  # the review carries on where it was
    assert (await api.get(f"/notifications/{case.id}", headers=flow.reviewer.headers)).status_code == 404
    assert (await api.get(f"/notifications/{case.id}", headers=other.headers)).status_code == 200

    history = (await api.get(f"/notifications/{case.id}/history", headers=flow.coordinator.headers)).json()
    kinds = [(h["kind"], h["details"].get("reviewer_id"), h["details"].get("previous_reviewer_id")) for h in history]
    assert ("allocated", str(flow.reviewer.user.id), None) in kinds
    assert ("reallocated", str(other.user.id), str(flow.reviewer.user.id)) in kinds
    reallocated = next(h for h in history if h["kind"] == "reallocated")
    assert reallocated["reason"] == "Rae is on long-term leave"
    assert reallocated["actor"] == f"user:{flow.coordinator.user.id}"


async def _refusal(response):
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()["refusal"]


async def test_an_inactive_reviewer_cannot_be_allocated(api, flow):
    case = await flow.notify()
    url = f"/reviewers/{flow.reviewer.user.id}"
    etag = (await api.get(url, headers=flow.coordinator.headers)).headers["etag"]
    deactivated = await api.patch(url, json={"active": False}, headers={**flow.coordinator.headers, "If-Match": etag})
    assert deactivated.json()["active"] is False
    assert await _refusal(await flow.allocate(case)) == "reviewer_inactive"


async def test_a_reviewer_of_another_area_or_a_non_reviewer_cannot_be_allocated(api, world, flow):
    case = await flow.notify()
    elsewhere = await world.staff(Role.reviewer, "14L")
    colleague = await world.staff(Role.coordinator, "15F")
    assert await _refusal(await flow.allocate(case, elsewhere)) == "reviewer_not_in_area"
    assert await _refusal(await flow.allocate(case, colleague)) == "reviewer_not_in_area"


async def test_a_reviewer_at_capacity_needs_a_recorded_override(api, flow):
    busy = await flow.register_reviewer("Busy Reviewer", max_active_reviews=1)
    first, second = await flow.notify("9990000018"), await flow.notify("9990000026")
    assert (await flow.allocate(first, busy)).status_code == 200

    refused = await flow.allocate(second, busy)
    problem = refused.json()
    assert await _refusal(refused) == "reviewer_at_capacity"
    assert (problem["active_reviews"], problem["max_active_reviews"]) == (1, 1)

    overridden = await flow.allocate(second, busy, capacity_override_reason="Specialist in epilepsy deaths")
    assert overridden.status_code == 200
    history = (await api.get(f"/notifications/{second.id}/history", headers=flow.coordinator.headers)).json()
    assert history[1]["details"]["capacity_override_reason"] == "Specialist in epilepsy deaths"


@pytest.mark.parametrize("where", ["care_providers", "notifier"])
async def test_a_reviewer_from_an_organisation_that_cared_for_the_person_is_refused(api, flow, where):
    trust = await flow.register_reviewer("Trust Reviewer", organisations=["RR8", "RAE"])
    changes = {"care_providers": ["RAE"], "notifier.organisation_ods": None} if where == "care_providers" else {}
    case = await flow.notify(**changes)  # the default notifier works for RR8
    refused = await flow.allocate(case, trust)
    assert await _refusal(refused) == "conflict_of_interest"
    assert refused.json()["organisations"] == (["RAE"] if where == "care_providers" else ["RR8"])


async def test_a_closed_notification_cannot_be_allocated(api, flow):
    case = await flow.reach("excluded")
    assert await _refusal(await flow.allocate(case)) == "notification_closed"


async def test_allocating_to_the_current_reviewer_again_is_refused(api, flow):
    case = await flow.reach("allocated")
    assert await _refusal(await flow.allocate(case)) == "already_allocated"


async def test_only_the_areas_coordinator_allocates(api, world, flow):
    case = await flow.notify()
    manchester = await world.staff(Role.coordinator, "14L")
    body = {"reviewer_id": str(flow.reviewer.user.id)}
    other_area = await api.put(
        f"/notifications/{case.id}/allocation", json=body, headers={**manchester.headers, "If-Match": case.etag}
    )
    as_reviewer = await api.put(
        f"/notifications/{case.id}/allocation", json=body, headers={**flow.reviewer.headers, "If-Match": case.etag}
    )
    assert other_area.status_code == 404
    assert as_reviewer.status_code == 403


async def test_writes_need_the_current_etag(api, flow):
    case = await flow.notify()
    body = {"reviewer_id": str(flow.reviewer.user.id)}
    url = f"/notifications/{case.id}/allocation"
    missing = await api.put(url, json=body, headers=flow.coordinator.headers)
    stale = await api.put(url, json=body, headers={**flow.coordinator.headers, "If-Match": '"0"'})
    garbage = await api.put(url, json=body, headers={**flow.coordinator.headers, "If-Match": "W/abc"})
    assert missing.status_code == 428
    assert stale.status_code == 412
    assert garbage.status_code == 412
    for response in (missing, stale, garbage):
        assert response.headers["content-type"] == "application/problem+json"
    assert (await flow.get(case))["reviewer_id"] is None

    assert (await flow.allocate(case)).status_code == 200
    old_etag = '"1"'
    again = await api.post(
        f"/notifications/{case.id}/transitions",
        json={"to": "initial_review"},
        headers={**flow.reviewer.headers, "If-Match": old_etag},
    )
    assert again.status_code == 412


async def test_two_coordinators_allocating_at_once_exactly_one_wins(api, world, flow):
    """Real concurrent requests: on PostgreSQL two connections race on the row; on SQLite they queue."""
    colleague = await world.staff(Role.coordinator, "15F")
    second_reviewer = await flow.register_reviewer("Second Reviewer")

    async def allocate(who, reviewer):
        url = f"/notifications/{case.id}/allocation"
        return await api.put(
            url, json={"reviewer_id": str(reviewer.user.id)}, headers={**who.headers, "If-Match": case.etag}
        )

    for number in ("9990000018", "9990000026", "9990000034"):
        case = await flow.notify(number)
        results = await asyncio.gather(allocate(flow.coordinator, flow.reviewer), allocate(colleague, second_reviewer))
        assert sorted(r.status_code for r in results) == [200, 412], [r.text for r in results]
        winner = next(r for r in results if r.status_code == 200).json()
        assert (await flow.get(case))["reviewer_id"] == winner["reviewer_id"]
        history = (await api.get(f"/notifications/{case.id}/history", headers=flow.coordinator.headers)).json()
        assert [h["kind"] for h in history].count("allocated") == 1
        assert "reallocated" not in [h["kind"] for h in history]


async def test_the_version_check_is_made_by_the_database_not_only_in_python(api, world, flow):
    """Two transactions read version 1; the first claims it; the second's UPDATE then matches nothing."""
    import uuid

    from app.core.etag import PreconditionFailed
    from app.core.versioning import claim_version
    from app.notifications.models import Notification

    case = await flow.notify()
    async with world.session() as first, world.session() as second:
        # Each read ends its transaction, as a request would, so SQLite's write lock is free again.
        mine = await first.get(Notification, uuid.UUID(case.id))
        await first.commit()
        theirs = await second.get(Notification, uuid.UUID(case.id))
        await second.commit()
        await claim_version(first, mine, 1)
        await first.commit()
        assert theirs.version == 1  # stale in memory: the Python-side check alone would let it through
        with pytest.raises(PreconditionFailed):
            await claim_version(second, theirs, 1)
        await second.rollback()
