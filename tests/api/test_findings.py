"""Reviewers' findings through HTTP: drafts, If-Match, what submission requires, freezing, versions."""

from __future__ import annotations

import pytest

from app.auth.policy import Role
from tests.workflow import COMPLETE_FINDINGS, Flow


@pytest.fixture
async def flow(api, world):
    return await Flow.start(api, world)


async def in_initial_review(flow):
    case = await flow.notify()
    assert (await flow.allocate(case)).status_code == 200
    assert (await flow.move(case, "initial_review", flow.reviewer)).status_code == 200
    return case


async def test_the_reviewer_drafts_and_the_coordinator_reads(api, flow):
    case = await in_initial_review(flow)
    url = f"/notifications/{case.id}/findings"
    empty = await api.get(url, headers=flow.reviewer.headers)
    assert (empty.json()["version"], empty.headers["etag"]) == (0, '"0"')

    draft = {"pen_portrait": "Joan loved music.", "grade": 3}
    saved = await api.put(url, json=draft, headers={**flow.reviewer.headers, "If-Match": '"0"'})
    assert saved.status_code == 200, saved.text
    assert (saved.json()["version"], saved.headers["etag"]) == (1, '"1"')
    assert saved.json()["saved_by"] == f"user:{flow.reviewer.user.id}"

    read = (await api.get(url, headers=flow.coordinator.headers)).json()
    assert read["findings"]["pen_portrait"] == "Joan loved music."
    assert read["findings"]["grade"] == 3
    assert read["frozen"] is False


async def test_findings_access(api, world, flow):
    case = await in_initial_review(flow)
    url = f"/notifications/{case.id}/findings"
    manchester = await world.staff(Role.coordinator, "14L")
    other_reviewer = await flow.register_reviewer("Other Reviewer")
    national = await world.staff(Role.national)
    assert (await api.get(url, headers=manchester.headers)).status_code == 404
    assert (await api.get(url, headers=other_reviewer.headers)).status_code == 404
    assert (await api.get(url, headers=national.headers)).status_code == 403
    body = {"grade": 1}
    as_coordinator = await api.put(url, json=body, headers={**flow.coordinator.headers, "If-Match": '"0"'})
    assert as_coordinator.status_code == 403
    as_other = await api.put(url, json=body, headers={**other_reviewer.headers, "If-Match": '"0"'})
    assert as_other.status_code == 404


async def test_saving_needs_the_current_version(api, flow):
    case = await in_initial_review(flow)
    url = f"/notifications/{case.id}/findings"
    assert (await api.put(url, json={}, headers=flow.reviewer.headers)).status_code == 428
    assert (await api.put(url, json={}, headers={**flow.reviewer.headers, "If-Match": '"3"'})).status_code == 412
    assert (await api.put(url, json={}, headers={**flow.reviewer.headers, "If-Match": '"0"'})).status_code == 200
    assert (await api.put(url, json={}, headers={**flow.reviewer.headers, "If-Match": '"0"'})).status_code == 412


@pytest.mark.parametrize(
    ("findings", "missing"),
    [
        (
            {},
            {
                "findings.pen_portrait",
                "findings.initial_review_evidence.family_or_carer_spoken_to_on",
                "findings.initial_review_evidence.gp_records_seen_on",
                "findings.initial_review_evidence.other_professional_spoken_to_on",
                "findings.grade",
            },
        ),
        ({**COMPLETE_FINDINGS, "initial_review_evidence": {}}, {
            "findings.initial_review_evidence.family_or_carer_spoken_to_on",
            "findings.initial_review_evidence.gp_records_seen_on",
            "findings.initial_review_evidence.other_professional_spoken_to_on",
        }),
        ({**COMPLETE_FINDINGS, "grade": 5}, {"findings.contributory_factors", "findings.actions"}),
        (
            {**COMPLETE_FINDINGS, "grade": 4, "contributory_factors": ["gaps_in_service_provision"]},
            {"findings.actions"},
        ),
    ],
)  # fmt: skip
async def test_submission_lists_what_is_missing(api, flow, findings, missing):
    case = await in_initial_review(flow)
    assert (await flow.save_findings(case, findings)).status_code == 200
    refused = await flow.move(case, "awaiting_sign_off", flow.reviewer)
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json()["errors"]} == missing
    assert (await flow.get(case))["stage"] == "initial_review"


async def test_a_serious_grade_with_a_factor_and_an_action_can_be_submitted(api, flow):
    case = await in_initial_review(flow)
    findings = {
        **COMPLETE_FINDINGS,
        "grade": 5,
        "contributory_factors": ["delays_in_diagnosis_or_treatment"],
        "actions": [{"what": "Audit sepsis screening", "owner_organisation": "RR8", "due_on": "2025-09-30"}],
    }
    assert (await flow.save_findings(case, findings)).status_code == 200
    assert (await flow.move(case, "awaiting_sign_off", flow.reviewer)).status_code == 200


async def test_a_focused_review_needs_its_findings(api, flow):
    case = await in_initial_review(flow)
    assert (await flow.move(case, "focused_review", flow.reviewer)).status_code == 200
    assert (await flow.save_findings(case, {**COMPLETE_FINDINGS, "focused_review_findings": None})).status_code == 200
    refused = await flow.move(case, "awaiting_sign_off", flow.reviewer)
    assert [e["field"] for e in refused.json()["errors"]] == ["findings.focused_review_findings"]


async def test_findings_wait_during_sign_off_and_freeze_after_it(api, flow):
    case = await flow.reach("awaiting_sign_off")
    waiting = await flow.save_findings(case, {**COMPLETE_FINDINGS, "grade": 1})
    assert waiting.status_code == 409
    assert (await flow.move(case, "completed", flow.coordinator)).status_code == 200
    frozen = await flow.save_findings(case, {**COMPLETE_FINDINGS, "grade": 1})
    assert frozen.status_code == 409
    read = (await api.get(f"/notifications/{case.id}/findings", headers=flow.coordinator.headers)).json()
    assert read["frozen"] is True
    assert read["findings"]["grade"] == 2


async def test_every_version_is_kept_with_who_changed_what(api, flow):
    case = await in_initial_review(flow)
    await flow.save_findings(case, {"pen_portrait": "Joan."})
    await flow.save_findings(case, {"pen_portrait": "Joan.", "grade": 2})
    await flow.save_findings(case, {"pen_portrait": "Joan loved music.", "grade": 2, "mccd_accurate": False})
    versions = (await api.get(f"/notifications/{case.id}/findings/versions", headers=flow.coordinator.headers)).json()
    assert [(v["version"], v["changed"]) for v in versions] == [
        (1, ["pen_portrait"]),
        (2, ["grade"]),
        (3, ["mccd_accurate", "pen_portrait"]),
    ]
    assert {v["saved_by"] for v in versions} == {f"user:{flow.reviewer.user.id}"}
    history = (await api.get(f"/notifications/{case.id}/history", headers=flow.coordinator.headers)).json()
    assert [h["details"]["version"] for h in history if h["kind"] == "findings_saved"] == [1, 2, 3]


async def test_a_dnacpr_rationale_in_the_findings_raises_and_withdraws_a_flag(api, flow):
    case = await in_initial_review(flow)
    with_rationale = {**COMPLETE_FINDINGS, "dnacpr": {"in_place": True, "rationale_as_recorded": "Learning disability"}}
    await flow.save_findings(case, with_rationale)
    flags = (await flow.get(case))["flags"]
    assert [(f["evidence"]["source"], f["withdrawn_at"] is None) for f in flags] == [
        ("findings_dnacpr_rationale", True)
    ]
    assert (await flow.get(case))["focused_review"]["reasons"] == ["bias_flag"]

    await flow.save_findings(
        case, {**COMPLETE_FINDINGS, "dnacpr": {"in_place": True, "rationale_as_recorded": "Frailty"}}
    )
    after = await flow.get(case)
    assert after["flags"][0]["withdrawn_at"] is not None
    assert after["focused_review"]["reasons"] == []


@pytest.mark.parametrize(
    "bad",
    [{"grade": 7}, {"grade": 0}, {"contributory_factors": ["bad_luck"]},
     {"structured_judgement_review": {"overall": 6}}, {"actions": [{"what": "x"}]}, {"unknown": True},
     {"pen_portrait": "x" * 10_001}],
)  # fmt: skip
async def test_invalid_findings_are_refused(api, flow, bad):
    case = await in_initial_review(flow)
    assert (await flow.save_findings(case, bad)).status_code == 422


async def test_findings_cannot_be_emptied_by_way_of_a_hold(api, flow):
    case = await flow.reach("awaiting_sign_off")
    hold = await flow.hold(case)
    assert hold.status_code == 201
    assert (await flow.save_findings(case, {})).status_code == 409  # paused from sign-off: still waiting
    assert (await flow.end_hold(case, hold.json()["hold"]["id"])).status_code == 200
    assert (await flow.move(case, "completed", flow.coordinator)).status_code == 200


async def test_findings_may_be_drafted_during_a_hold_from_an_editable_stage(api, flow):
    case = await in_initial_review(flow)
    assert (await flow.hold(case)).status_code == 201
    assert (await flow.save_findings(case, {"pen_portrait": "Joan."})).status_code == 200


async def test_a_flag_raised_after_a_waiver_needs_a_decision_of_its_own(api, flow):
    case = await flow.notify(
        **{"death.cause_of_death": {"part_1": [{"text": "Sepsis"}, {"text": "x", "icd10": "F72"}]}}
    )
    assert (await flow.allocate(case)).status_code == 200
    assert (await flow.move(case, "initial_review", flow.reviewer)).status_code == 200
    waived = await flow.write("POST", case, "/focused-review-waiver", flow.coordinator, {"reason": "Code in error"})
    assert waived.json()["focused_review"]["required"] is False
    rationale = {
        **COMPLETE_FINDINGS,
        "dnacpr": {"in_place": True, "rationale_as_recorded": "Severe learning disability"},
    }
    assert (await flow.save_findings(case, rationale)).status_code == 200
    after = await flow.get(case)
    assert after["focused_review"]["outstanding"] == ["bias_flag"]
    assert (await flow.move(case, "awaiting_sign_off", flow.reviewer)).status_code == 409
