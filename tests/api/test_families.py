"""Families through HTTP: invitations, the code exchange and its limits, the plain-words review."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.auth.policy import Role
from app.auth.service import issue_user_token
from tests.workflow import Flow

INVITE = {"name": "Mary Example", "relationship": "sister", "contact_preference": "email", "contact": "m@example.org"}
FAMILY_FIELDS = {
    "stage",
    "stage_in_words",
    "on_hold",
    "hold_in_words",
    "expected_completion_on",
    "completed_on",
    "team",
    "team_contact",
    "focused_review_requested",
    "summary_requested",
    "summary_available",
}


@pytest.fixture
async def flow(api, world):
    return await Flow.start(api, world)


async def invite(api, flow, case):
    response = await api.post(
        f"/notifications/{case.id}/family-invitations", json=INVITE, headers=flow.coordinator.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def session_for(api, code):
    response = await api.post("/family/session", json={"code": code})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_a_family_follows_the_review_in_plain_words(api, flow):
    case = await flow.reach("initial_review")
    invited = await invite(api, flow, case)
    assert invited["invitation"]["expires_at"] is None  # the code lasts for the review
    family = await session_for(api, invited["code"].lower().replace("-", " "))  # as typed

    review = await api.get("/family/review", headers=family)
    assert review.status_code == 200
    body = review.json()
    assert set(body) == FAMILY_FIELDS
    assert body["stage"] == "initial_review"
    assert "GP records" in body["stage_in_words"]
    assert body["expected_completion_on"] == "2025-09-17"
    assert body["team"] == "The LeDeR team at Area 15F"
    assert body["team_contact"] is None  # the area has not said yet
    contact = {"email": "leder@leeds.example.nhs.uk", "phone": "+44 113 496 0000", "postal_address": "LS1 4HR"}
    put = await api.put("/areas/15F/contact", json=contact, headers={**flow.coordinator.headers, "If-Match": '"0"'})
    assert put.status_code == 200
    assert (await api.get("/family/review", headers=family)).json()["team_contact"] == {
        "email": "leder@leeds.example.nhs.uk",
        "phone": "0113 496 0000",
        "phone_e164": "+441134960000",
        "postal_address": ["LS1 4HR"],
    }
    for secret in ("9434765919", "Joan", "Example", "grade", "pen_portrait", str(flow.reviewer.user.id)):
        assert secret not in review.text

    held = await flow.hold(case)
    assert held.status_code == 201
    paused = (await api.get("/family/review", headers=family)).json()
    assert paused["on_hold"] is True
    assert paused["hold_in_words"] == "The review is waiting for the coroner's investigation or inquest."


async def test_the_code_is_shown_once_and_stored_only_as_a_hash(api, flow, world):
    from sqlmodel import select

    from app.families.models import FamilyInvitation

    case = await flow.notify()
    invited = await invite(api, flow, case)
    listed = (await api.get(f"/notifications/{case.id}/family-invitations", headers=flow.coordinator.headers)).json()
    assert invited["code"] not in str(listed)
    async with world.session() as session:
        stored = (await session.exec(select(FamilyInvitation))).one()
    assert invited["code"] not in repr(stored.model_dump())
    assert len(stored.code_sha256) == 64
    history = (await api.get(f"/notifications/{case.id}/history", headers=flow.coordinator.headers)).json()
    assert history[-1]["kind"] == "family_invited"
    assert "Mary" not in str(history)


async def test_the_same_code_signs_in_again_and_again_and_the_coordinator_sees_the_last_visit(
    api, flow, clock, settings
):
    case = await flow.notify()
    invited = await invite(api, flow, case)
    listing = f"/notifications/{case.id}/family-invitations"
    assert (await api.get(listing, headers=flow.coordinator.headers)).json()[0]["last_visit_at"] is None
    first = await session_for(api, invited["code"])
    clock.set(clock.now() + timedelta(days=7))  # next week
    flow.refresh_tokens()
    second = await session_for(api, invited["code"])
    assert (await api.get("/family/review", headers=second)).status_code == 200
    listed = (await api.get(listing, headers=flow.coordinator.headers)).json()[0]
    assert listed["last_visit_at"] == clock.now().isoformat().replace("+00:00", "Z")
    assert listed["used_at"] != listed["last_visit_at"]  # the first sign-in is kept
    assert (await api.get("/family/review", headers=first)).status_code == 401  # idle for a week
    for _ in range(settings.family_code_attempts_per_code + 2):  # right codes are never counted against it
        await session_for(api, invited["code"])


async def test_signing_out_ends_that_session_at_once_and_the_code_still_works(api, flow):
    case = await flow.notify()
    code = (await invite(api, flow, case))["code"]
    family, other_device = await session_for(api, code), await session_for(api, code)
    signed_out = await api.post("/family/sign-out", headers=family)
    assert signed_out.status_code == 204
    assert (await api.get("/family/review", headers=family)).status_code == 401
    assert (await api.post("/family/sign-out", headers=family)).status_code == 401
    assert (await api.get("/family/review", headers=other_device)).status_code == 200  # only that session
    assert (await api.get("/family/review", headers=await session_for(api, code))).status_code == 200


async def test_staff_cannot_use_the_family_sign_out(api, flow):
    assert (await api.post("/family/sign-out", headers=flow.coordinator.headers)).status_code == 403
    assert (await api.post("/family/sign-out")).status_code == 401


async def test_a_session_ends_after_30_idle_minutes_and_after_12_hours_in_all(api, flow, clock, settings):
    case = await flow.notify()
    code = (await invite(api, flow, case))["code"]
    idle = await session_for(api, code)
    clock.set(clock.now() + timedelta(seconds=settings.family_session_idle_seconds + 1))
    assert (await api.get("/family/review", headers=idle)).status_code == 401

    busy = await session_for(api, code)
    started = clock.now()
    while clock.now() - started < timedelta(seconds=settings.family_session_absolute_seconds - 1200):
        clock.set(clock.now() + timedelta(minutes=20))  # active: never idle for long
        assert (await api.get("/family/review", headers=busy)).status_code == 200
    clock.set(started + timedelta(seconds=settings.family_session_absolute_seconds))
    assert (await api.get("/family/review", headers=busy)).status_code == 401


async def test_a_reissued_code_replaces_the_old_one_and_ends_its_sessions(api, flow):
    case = await flow.notify()
    invited = await invite(api, flow, case)
    family = await session_for(api, invited["code"])
    url = f"/notifications/{case.id}/family-invitations/{invited['invitation']['id']}/new-code"
    reissued = await api.post(url, headers=flow.coordinator.headers)
    assert reissued.status_code == 201
    new_code = reissued.json()["code"]
    assert new_code != invited["code"]
    assert reissued.json()["invitation"]["id"] == invited["invitation"]["id"]
    assert (await api.post("/family/session", json={"code": invited["code"]})).status_code == 401
    assert (await api.get("/family/review", headers=family)).status_code == 401
    assert (await api.get("/family/review", headers=await session_for(api, new_code))).status_code == 200
    history = (await api.get(f"/notifications/{case.id}/history", headers=flow.coordinator.headers)).json()
    assert history[-1]["kind"] == "family_code_reissued"


async def test_only_the_areas_coordinator_reissues_codes(api, world, flow):
    case = await flow.notify()
    invited = await invite(api, flow, case)
    url = f"/notifications/{case.id}/family-invitations/{invited['invitation']['id']}/new-code"
    manchester = await world.staff(Role.coordinator, "14L")
    assert (await api.post(url, headers=manchester.headers)).status_code == 404
    assert (await api.post(url, headers=flow.reviewer.headers)).status_code == 403
    family = await session_for(api, invited["code"])
    assert (await api.post(url, headers=family)).status_code == 403
    missing = f"/notifications/{case.id}/family-invitations/{case.id}/new-code"
    assert (await api.post(missing, headers=flow.coordinator.headers)).status_code == 404
    await api.post(url.replace("new-code", "revocation"), headers=flow.coordinator.headers)
    assert (await api.post(url, headers=flow.coordinator.headers)).status_code == 409


async def test_revoking_ends_the_code_and_every_session_at_once(api, flow):
    case = await flow.notify()
    invited = await invite(api, flow, case)
    family = await session_for(api, invited["code"])
    url = f"/notifications/{case.id}/family-invitations/{invited['invitation']['id']}/revocation"
    revoked = await api.post(url, headers=flow.coordinator.headers)
    assert revoked.json()["revoked_at"] is not None
    assert (await api.get("/family/review", headers=family)).status_code == 401


async def test_access_ends_90_days_after_the_review_completes(api, flow, clock, settings):
    case = await flow.reach("completed")
    invited = await invite(api, flow, case)
    clock.set(clock.now() + timedelta(days=settings.family_access_days_after_review) - timedelta(minutes=5))
    flow.refresh_tokens()
    family = await session_for(api, invited["code"])
    assert (await api.get("/family/review", headers=family)).status_code == 200
    clock.set(clock.now() + timedelta(minutes=5))
    assert (await api.get("/family/review", headers=family)).status_code == 401
    assert (await api.post("/family/session", json={"code": invited["code"]})).status_code == 401


async def test_access_ends_90_days_after_the_review_is_excluded(api, flow, clock, settings):
    case = await flow.notify()
    invited = await invite(api, flow, case)
    family = await session_for(api, invited["code"])
    excluded = await flow.move(case, "excluded", flow.coordinator, "duplicate of an earlier notification")
    assert excluded.status_code == 200
    assert (await api.get("/family/review", headers=family)).status_code == 200  # still theirs to read
    clock.set(clock.now() + timedelta(days=settings.family_access_days_after_review))
    assert (await api.post("/family/session", json={"code": invited["code"]})).status_code == 401


async def test_a_revoked_code_cannot_be_exchanged(api, flow):
    case = await flow.notify()
    invited = await invite(api, flow, case)
    url = f"/notifications/{case.id}/family-invitations/{invited['invitation']['id']}/revocation"
    await api.post(url, headers=flow.coordinator.headers)
    assert (await api.post("/family/session", json={"code": invited["code"]})).status_code == 401


async def test_guessing_codes_gets_429_not_an_answer(api, flow, settings):
    case = await flow.notify()
    code = (await invite(api, flow, case))["code"]
    statuses = [
        (await api.post("/family/session", json={"code": f"AAAA-BBBB-CCCC-DDDD-{n:04d}"})).status_code
        for n in range(settings.family_code_failures_per_client + 2)
    ]
    assert statuses[: settings.family_code_failures_per_client] == [401] * settings.family_code_failures_per_client
    assert statuses[-1] == 429
    limited = await api.post("/family/session", json={"code": code})  # even the right code, for a moment
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0


async def test_someone_elses_guessing_holds_back_a_right_code_for_at_most_a_minute(api, flow, clock, settings):
    case = await flow.notify()
    code = (await invite(api, flow, case))["code"]
    waits = []
    for n in range(settings.family_code_failures_per_client + 20):  # a guesser who waits as told, then guesses
        answer = await api.post("/family/session", json={"code": f"AAAA-BBBB-CCCC-DDDD-{n:04d}"})
        if answer.status_code == 429:
            waits.append(int(answer.headers["retry-after"]))
            clock.set(clock.now() + timedelta(seconds=waits[-1]))
            answer = await api.post("/family/session", json={"code": f"AAAA-BBBB-CCCC-DDDD-{n:04d}"})
        assert answer.status_code == 401
    assert waits == sorted(waits) and waits[-1] == 60  # doubling, capped at a minute
    refused = await api.post("/family/session", json={"code": code})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) <= 60
    clock.set(clock.now() + timedelta(seconds=int(refused.headers["retry-after"])))
    assert (await api.post("/family/session", json={"code": code})).status_code == 200


async def test_one_code_tried_again_and_again_is_limited_too(api, flow, settings):
    guess = {"code": "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ"}
    statuses = [
        (await api.post("/family/session", json=guess)).status_code
        for _ in range(settings.family_code_attempts_per_code + 1)
    ]
    assert statuses[-1] == 429


async def test_a_family_token_reaches_only_its_own_review(api, world, flow):
    case = await flow.notify()
    family = await session_for(api, (await invite(api, flow, case))["code"])
    for method, path in [
        ("GET", f"/notifications/{case.id}"),
        ("GET", "/notifications"),
        ("GET", f"/notifications/{case.id}/history"),
        ("GET", f"/notifications/{case.id}/findings"),
        ("GET", f"/notifications/{case.id}/sla"),
        ("GET", "/reviewers"),
        ("GET", "/areas"),
    ]:
        assert (await api.request(method, path, headers=family)).status_code == 403, path
    staff = await api.get("/family/review", headers=flow.coordinator.headers)
    assert staff.status_code == 403


async def test_the_family_may_ask_for_a_focused_review_which_is_then_required(api, flow):
    case = await flow.reach("initial_review")
    family = await session_for(api, (await invite(api, flow, case))["code"])
    asked = await api.post("/family/focused-review-request", headers=family)
    assert asked.status_code == 200, asked.text
    assert asked.json()["focused_review_requested"] is True
    staff_view = await flow.get(case)
    assert staff_view["focused_review"]["outstanding"] == ["family_requested"]
    refused = await flow.move(case, "awaiting_sign_off", flow.reviewer)
    assert refused.status_code == 409


async def test_only_the_areas_coordinator_invites(api, world, flow):
    case = await flow.notify()
    manchester = await world.staff(Role.coordinator, "14L")
    url = f"/notifications/{case.id}/family-invitations"
    assert (await api.post(url, json=INVITE, headers=manchester.headers)).status_code == 404
    assert (await api.post(url, json=INVITE, headers=flow.reviewer.headers)).status_code == 403
    assert (
        await api.post(url, json={**INVITE, "contact_preference": "pigeon"}, headers=flow.coordinator.headers)
    ).status_code == 422


async def test_concerns_are_acknowledged_in_working_days_and_listed_until_they_are(api, world, flow, clock):
    case = await flow.reach("allocated")
    family = await session_for(api, (await invite(api, flow, case))["code"])
    raised = await api.post("/family/messages", json={"kind": "concern", "text": "Nobody told us about the DNACPR."},
                            headers=family)  # fmt: skip
    assert raised.status_code == 201, raised.text
    assert raised.json()["acknowledged"] is False
    went_well = {"kind": "went_well", "text": "The ward staff were kind to her."}
    assert (await api.post("/family/messages", json=went_well, headers=family)).status_code == 201

    staff = (await api.get(f"/notifications/{case.id}/family-messages", headers=flow.coordinator.headers)).json()
    concern = next(m for m in staff if m["kind"] == "concern")
    assert concern["acknowledge_by"] == "2025-03-31"  # Monday 17 March + 10 working days
    assert next(m for m in staff if m["kind"] == "went_well")["acknowledge_by"] is None

    open_concerns = (await api.get("/family-concerns", headers=flow.coordinator.headers)).json()
    assert [c["id"] for c in open_concerns] == [concern["id"]]
    manchester = await world.staff(Role.coordinator, "14L")
    assert (await api.get("/family-concerns", headers=manchester.headers)).json() == []

    clock.set(clock.now() + timedelta(days=15))
    flow.reviewer.token = issue_user_token(
        world.tokens, flow.reviewer.user, timedelta(hours=1)
    )  # fresh at the new time
    overdue = (await api.get("/family-concerns", headers=flow.reviewer.headers)).json()
    assert overdue[0]["overdue"] is True
    url = f"/notifications/{case.id}/family-messages/{concern['id']}/acknowledgement"
    acknowledged = await api.post(url, headers=flow.reviewer.headers)
    assert acknowledged.json()["acknowledged_by"] == f"user:{flow.reviewer.user.id}"
    assert (await api.get("/family-concerns", headers=flow.reviewer.headers)).json() == []
    history = (await api.get(f"/notifications/{case.id}/history", headers=flow.reviewer.headers)).json()
    assert [h["kind"] for h in history][-3:] == [
        "family_raised_concern",
        "family_said_went_well",
        "concern_acknowledged",
    ]
    assert "DNACPR" not in str(history)  # the history points at the message; it does not copy it


async def test_families_see_only_their_own_messages_and_never_staff_lists(api, flow):
    case = await flow.notify()
    first = await session_for(api, (await invite(api, flow, case))["code"])
    second = await session_for(api, (await invite(api, flow, case))["code"])
    await api.post("/family/messages", json={"kind": "concern", "text": "First family's concern"}, headers=first)
    assert (await api.get("/family/messages", headers=second)).json() == []
    assert len((await api.get("/family/messages", headers=first)).json()) == 1
    assert (await api.get(f"/notifications/{case.id}/family-messages", headers=first)).status_code == 403
    assert (await api.get("/family-concerns", headers=first)).status_code == 403
    too_long = await api.post("/family/messages", json={"kind": "concern", "text": "x" * 5001}, headers=first)
    assert too_long.status_code == 422
