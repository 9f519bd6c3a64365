"""Every edge of the stage table, legal and illegal, for each role, through POST /transitions."""

from __future__ import annotations

import pytest

from app.notifications.enums import Stage
from tests.workflow import Flow

ROLES = ["coordinator", "reviewer"]
S = Stage
OPEN = [S.notified, S.allocated, S.initial_review, S.focused_review, S.awaiting_sign_off, S.on_hold]

# Written out by hand from domain.md, not derived from the code's table: what POST /transitions
# lets each role do from each stage.
BY_TRANSITION: dict[str, dict[Stage, list[Stage]]] = {
    "coordinator": {
        S.notified: [S.excluded],
        S.allocated: [S.excluded],
        S.initial_review: [S.excluded],
        S.focused_review: [S.excluded],
        S.awaiting_sign_off: [S.initial_review, S.focused_review, S.completed, S.excluded],
        S.on_hold: [S.excluded],
    },
    "reviewer": {
        S.allocated: [S.initial_review],
        S.initial_review: [S.focused_review, S.awaiting_sign_off],
        S.focused_review: [S.awaiting_sign_off],
    },
}
# Moves with endpoints of their own: allocation, holds, resuming.
OWN_ENDPOINT = (
    {(S.notified, S.allocated)}
    | {(s, S.on_hold) for s in OPEN if s is not S.on_hold}
    | {(S.on_hold, s) for s in OPEN if s is not S.on_hold}
)


def allowed(role: str, frm: Stage) -> list[Stage]:
    return BY_TRANSITION[role].get(frm, [])


def expected(frm: Stage, to: Stage, role: str) -> int:
    other = "reviewer" if role == "coordinator" else "coordinator"
    if role == "reviewer" and frm in (S.notified, S.excluded):
        return 404  # never allocated to them: they cannot see it at all
    if to in allowed(role, frm):
        return 200
    if (frm, to) in OWN_ENDPOINT:
        return 409
    return 403 if to in allowed(other, frm) else 409


CASES = [(frm, to, role) for frm in Stage for to in Stage for role in ROLES]


@pytest.mark.parametrize(("frm", "to", "role"), CASES, ids=[f"{f.value}->{t.value}-{r}" for f, t, r in CASES])
async def test_transition(api, world, frm, to, role):
    flow = await Flow.start(api, world)
    case = await flow.reach(frm.value)
    who = flow.reviewer if role == "reviewer" else flow.coordinator

    response = await flow.move(case, to.value, who, reason="recorded reason")

    want = expected(frm, to, role)
    assert response.status_code == want, response.text
    if want == 200:
        body = response.json()
        assert body["stage"] == to.value
        history = await api.get(f"/notifications/{case.id}/history", headers=flow.coordinator.headers)
        last = history.json()[-1]
        assert (last["from_stage"], last["to_stage"], last["actor"]) == (frm.value, to.value, f"user:{who.user.id}")
    elif want == 409:
        problem = response.json()
        assert problem["current_stage"] == frm.value
        assert problem["allowed_next_stages"] == [s.value for s in allowed(role, frm)]
    if want != 200:
        unchanged = await flow.get(case)
        assert unchanged["stage"] == frm.value


@pytest.mark.parametrize(
    ("frm", "to"),
    [("awaiting_sign_off", "initial_review"), ("awaiting_sign_off", "focused_review"), ("allocated", "excluded")],
)
async def test_moves_that_need_a_reason_refuse_without_one(api, world, frm, to):
    flow = await Flow.start(api, world)
    case = await flow.reach(frm)
    response = await flow.move(case, to, flow.coordinator)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"
    assert (await flow.get(case))["stage"] == frm


@pytest.mark.parametrize("frm", OPEN, ids=[s.value for s in OPEN])
async def test_excluding_needs_a_reason_from_every_open_stage(api, world, frm):
    flow = await Flow.start(api, world)
    case = await flow.reach(frm.value)

    refused = await flow.move(case, S.excluded.value, flow.coordinator)

    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert "reason" in refused.text
    assert (await flow.get(case))["stage"] == frm.value


@pytest.mark.parametrize("to", [S.initial_review, S.focused_review], ids=["initial_review", "focused_review"])
async def test_sending_back_needs_a_reason(api, world, to):
    flow = await Flow.start(api, world)
    case = await flow.reach(S.awaiting_sign_off.value)

    refused = await flow.move(case, to.value, flow.coordinator)

    assert refused.status_code == 422, refused.text
    assert (await flow.get(case))["stage"] == S.awaiting_sign_off.value
