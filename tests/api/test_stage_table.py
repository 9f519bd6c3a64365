"""Every edge of the stage table, legal and illegal, for each role, through POST /transitions."""

from __future__ import annotations

import pytest

from app.auth.policy import Role
from app.notifications.enums import Stage
from app.reviews.stages import TRANSITIONS, next_stages
from tests.workflow import Flow

ROLES = ["coordinator", "reviewer"]


def expected(frm: Stage, to: Stage, role: str) -> int:
    if role == "reviewer" and frm in (Stage.notified, Stage.excluded):
        return 404  # never allocated to them: they cannot see it at all
    edge = TRANSITIONS.get((frm, to))
    if edge is None or edge.own_endpoint:
        return 409
    return 200 if role in edge.roles else 403


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
        assert problem["allowed_next_stages"] == [s.value for s in next_stages(frm, Role(who.user.role))]
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
