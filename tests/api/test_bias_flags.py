"""Bias flags through HTTP: raised at intake with evidence, requiring a focused review, dismissed only
by a coordinator with a reason."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from app.events.models import OutboxEvent
from tests.workflow import Flow

DOWNS_ON_I_B = {
    "death.cause_of_death": {"part_1": [{"text": "Bronchopneumonia", "icd10": "J18.0"}, {"text": "Down's syndrome"}]},
    "death.dnacpr": {"in_place": True, "rationale": "Downs syndrome and learning disabilities"},
}


@pytest.fixture
async def flow(api, world):
    return await Flow.start(api, world)


async def test_flags_are_raised_at_intake_with_their_evidence(api, flow, world):
    case = await flow.notify(**DOWNS_ON_I_B)
    body = await flow.get(case)

    kinds = sorted(
        (f["kind"], f["evidence"]["source"], f["evidence"]["line"], f["evidence"]["term"]) for f in body["flags"]
    )
    assert kinds == [
        ("learning_disability_as_cause_of_death", "mccd_part_1", "I(b)", "Down's syndrome"),
        ("learning_disability_as_dnacpr_rationale", "dnacpr_rationale", None, "Down's syndrome"),
        ("learning_disability_as_dnacpr_rationale", "dnacpr_rationale", None, "learning disability"),
    ]
    assert body["focused_review"]["required"] is True
    assert body["focused_review"]["reasons"] == ["bias_flag"]
    async with world.session() as session:
        events = (await session.exec(select(OutboxEvent.type).order_by(col(OutboxEvent.id)))).all()
    assert events == ["notification.created", "flag.raised", "flag.raised", "flag.raised"]


async def test_an_ordinary_certificate_raises_no_flag(api, flow):
    case = await flow.notify(**{"death.cause_of_death": {"part_1": [{"text": "Aspiration pneumonia; cerebral palsy"}]}})
    body = await flow.get(case)
    assert body["flags"] == []
    assert body["focused_review"]["required"] is False


async def test_a_coordinator_dismisses_a_flag_with_a_reason_and_reviewers_cannot(api, flow):
    case = await flow.notify(
        **{"death.cause_of_death": {"part_1": [{"text": "Sepsis"}, {"text": "x", "icd10": "F72"}]}}
    )
    assert (await flow.allocate(case)).status_code == 200
    flag_id = (await flow.get(case))["flags"][0]["id"]
    path = f"/flags/{flag_id}/dismissal"

    assert (await flow.write("POST", case, path, flow.reviewer, {"reason": "x"})).status_code == 403
    assert (await flow.write("POST", case, path, flow.coordinator, {})).status_code == 422
    dismissed = await flow.write(
        "POST", case, path, flow.coordinator, {"reason": "Code entered in error; certificate reissued"}
    )
    assert dismissed.status_code == 200, dismissed.text
    flag = dismissed.json()["flags"][0]
    assert flag["dismissal_reason"] == "Code entered in error; certificate reissued"
    assert flag["dismissed_by"] == f"user:{flow.coordinator.user.id}"
    assert dismissed.json()["focused_review"]["required"] is False
    again = await flow.write("POST", case, path, flow.coordinator, {"reason": "again"})
    assert again.status_code == 409
    history = (await api.get(f"/notifications/{case.id}/history", headers=flow.coordinator.headers)).json()
    assert history[-1]["kind"] == "flag_dismissed"
    assert history[-1]["details"] == {"flag_id": flag_id, "flag_kind": "learning_disability_as_cause_of_death"}


async def test_the_reviewer_sees_flags_and_national_oversight_does_not(api, world, flow):
    from app.auth.policy import Role

    case = await flow.notify(**DOWNS_ON_I_B)
    assert (await flow.allocate(case)).status_code == 200
    assert len((await flow.get(case, flow.reviewer))["flags"]) == 3
    national = await world.staff(Role.national)
    seen = await api.get(f"/notifications/{case.id}", headers=national.headers)
    assert "flags" not in seen.json()
    assert "syndrome" not in seen.text
