"""Property-level access (OWASP API3): the exact fields each role receives for a notification, and writes
that try to set fields the caller may not (area, allocation, stage, flags, version, clocks) refused with
nothing changed."""

from __future__ import annotations

from typing import Any

import pytest

from app.auth.policy import Role, Scope
from tests.api.test_families import invite, session_for
from tests.factories import notification_body
from tests.workflow import Case, Flow

FULL: dict[str, set[str]] = {
    "": {
        "id",
        "area_ods",
        "stage",
        "review_route",
        "closure_reason",
        "notified_on",
        "received_at",
        "age_at_death",
        "version",
        "sla",
        "person",
        "death",
        "national_data_opt_out",
        "notifier",
        "care_providers",
        "ethnic_group",
        "reviewer_id",
        "stage_changed_at",
        "focused_review",
        "hold",
        "flags",
    },
    "sla": {"notified_on", "completed_on", "state", "hold_adjusted", "raw"},
    "sla.hold_adjusted": {
        "due_on",
        "days_elapsed",
        "days_on_hold",
        "days_counted",
        "days_remaining",
        "state",
        "paused",
    },
    "sla.raw": {"due_on", "days_elapsed", "days_on_hold", "days_counted", "days_remaining", "state", "paused"},
    "person": {
        "nhs_number",
        "given_name",
        "family_name",
        "date_of_birth",
        "sex",
        "ethnic_category",
        "learning_disability_level",
        "autism",
        "lived_alone",
        "out_of_area_placement",
    },
    "death": {"date_of_death", "place_of_death", "died_in_england", "cause_of_death", "dnacpr", "other_processes"},
    "death.cause_of_death": {"part_1", "part_2"},
    "death.cause_of_death.part_1[]": {"text", "icd10"},
    "death.cause_of_death.part_2[]": {"text", "icd10"},
    "death.dnacpr": {"in_place", "rationale"},
    "notifier": {"name", "role", "organisation", "organisation_ods", "contact"},
    "focused_review": {"required", "reasons", "outstanding", "done", "waiver"},
    "hold": {
        "id",
        "reason",
        "reference",
        "expected_end_on",
        "stage_before",
        "started_at",
        "started_on",
        "started_by",
        "ended_at",
        "ended_on",
        "ended_by",
    },
    "flags[]": {
        "id",
        "kind",
        "evidence",
        "raised_at",
        "dismissed_at",
        "dismissed_by",
        "dismissal_reason",
        "withdrawn_at",
    },
    "flags[].evidence": {"source", "line", "term", "matched", "text"},
}
# National oversight: flat, de-identified, nothing nested that could carry a name, a date or free text.
DEIDENTIFIED: dict[str, set[str]] = {
    "": {
        "id",
        "area_ods",
        "stage",
        "review_route",
        "closure_reason",
        "notified_month",
        "month_of_death",
        "age_band",
        "sex",
        "ethnic_group",
        "learning_disability_level",
        "autism",
        "place_of_death",
        "sla_state",
    }
}
# An integrator with notifications:read only: data minimisation, each further block null (docs/integrators.md).
INTEGRATOR: dict[str, set[str]] = {
    "": {
        "id",
        "area_ods",
        "stage",
        "review_route",
        "closure_reason",
        "version",
        "nhs_number",
        "notified_month",
        "due_month",
        "sla_state",
        "flags",
        "dates",
        "identity",
        "clinical",
        "review",
    }
}
# An integrator granted every further scope: each block filled in, and still only its own fields.
INTEGRATOR_WIDE: dict[str, set[str]] = INTEGRATOR | {
    "dates": {"notified_on", "received_at", "stage_changed_at", "sla", "hold_started_on", "hold_expected_end_on"},
    "dates.sla": FULL["sla"],
    "dates.sla.hold_adjusted": FULL["sla.hold_adjusted"],
    "dates.sla.raw": FULL["sla.raw"],
    "identity": {"person", "date_of_death", "age_at_death", "notifier", "national_data_opt_out"},
    "identity.person": FULL["person"],
    "identity.notifier": FULL["notifier"],
    "clinical": {"place_of_death", "died_in_england", "cause_of_death", "dnacpr", "other_processes", "flags"},
    "clinical.cause_of_death": FULL["death.cause_of_death"],
    "clinical.cause_of_death.part_1[]": FULL["death.cause_of_death.part_1[]"],
    "clinical.cause_of_death.part_2[]": FULL["death.cause_of_death.part_2[]"],
    "clinical.dnacpr": FULL["death.dnacpr"],
    "clinical.flags[]": {"id", "kind", "evidence", "open"},
    "clinical.flags[].evidence": FULL["flags[].evidence"],
    "review": {"reviewer_id", "care_providers", "focused_review", "hold"},
    "review.focused_review": {"required", "reasons", "outstanding", "done"},
    "review.hold": {"id", "reason", "reference", "stage_before"},
}
EXTRA_SCOPES = [
    Scope.notifications_dates,
    Scope.notifications_identity,
    Scope.notifications_clinical,
    Scope.notifications_review,
]
# Down's syndrome on MCCD I(b): the notification carries a bias flag with its evidence.
FLAGGED: dict[str, Any] = {
    "death.cause_of_death.part_1": [{"text": "Bronchopneumonia", "icd10": "J18.0"}, {"text": "Down's syndrome"}],
}


def fields(value: Any, path: str = "") -> dict[str, set[str]]:
    """Every object's keys, by its path (`flags[]` for a list's items): the shape without the values."""
    shape: dict[str, set[str]] = {}
    if isinstance(value, dict):
        shape[path] = set(value)
        for key, item in value.items():
            shape |= fields(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for item in value:
            shape |= fields(item, f"{path}[]")
    return shape


@pytest.fixture
async def setting(api, world):
    """A notification with every part filled in (a flag, a hold), allocated, and everyone who might ask."""
    flow = await Flow.start(api, world)
    case = await flow.notify(**FLAGGED)
    assert (await flow.allocate(case)).status_code == 200
    assert (await flow.hold(case)).status_code == 201
    family = await session_for(api, (await invite(api, flow, case))["code"])
    callers = {
        "coordinator": flow.coordinator.headers,
        "reviewer": flow.reviewer.headers,
        "integrator": await world.integrator(api, [Scope.notifications_read, Scope.notifications_write], ["15F"]),
        "integrator_wide": await world.integrator(api, [Scope.notifications_read, *EXTRA_SCOPES], ["15F"]),
        "national": (await world.staff(Role.national)).headers,
        "admin": (await world.staff(Role.admin)).headers,
        "family": family,
    }
    return flow, case, callers


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        ("coordinator", FULL),
        ("reviewer", FULL),
        ("integrator", INTEGRATOR),
        ("integrator_wide", INTEGRATOR_WIDE),
        ("national", DEIDENTIFIED),
    ],
)
async def test_each_role_receives_exactly_its_fields(api, setting, caller, expected):
    _, case, callers = setting
    one = await api.get(f"/notifications/{case.id}", headers=callers[caller])
    listed = await api.get("/notifications", headers=callers[caller])

    assert one.status_code == 200, one.text
    assert fields(one.json()) == expected
    assert [fields(item) for item in listed.json()["items"]] == [expected]
    if expected is FULL:
        assert one.json()["flags"] and one.json()["hold"]  # the nested shapes above were all really seen
    if expected is INTEGRATOR_WIDE:
        assert one.json()["clinical"]["flags"] and one.json()["review"]["hold"]


@pytest.mark.parametrize("caller", ["family", "admin"])
async def test_family_and_admin_receive_no_notification_at_all(api, setting, caller):
    _, case, callers = setting
    assert (await api.get(f"/notifications/{case.id}", headers=callers[caller])).status_code == 403
    assert (await api.get("/notifications", headers=callers[caller])).status_code == 403


# Fields of the record no body may set: the service alone decides them.
SERVICE_FIELDS: dict[str, Any] = {
    "id": "00000000-0000-0000-0000-000000000001",
    "stage": "completed",
    "reviewer_id": "00000000-0000-0000-0000-000000000002",
    "version": 99,
    "sla": {"state": "on_track"},
    "flags": [],
    "open_bias_flags": 0,
    "focused_review": {"required": False},
    "hold": None,
    "closure_reason": "duplicate",
    "review_route": "leder",
    "received_at": "2025-01-01T00:00:00Z",
    "stage_changed_at": "2025-01-01T00:00:00Z",
    "age_at_death": 30,
    "ethnic_group": "white",
    "created_by": "user:someone",
}


async def test_a_new_notification_cannot_set_what_the_service_decides(api, setting, world):
    _, _, callers = setting
    for caller in ("coordinator", "integrator"):
        for name, value in SERVICE_FIELDS.items():
            body = notification_body(**{"person.nhs_number": "9990000018", name: value})
            response = await api.post("/notifications", json=body, headers=callers[caller])
            assert response.status_code == 422, (caller, name, response.text)
            assert [(e["field"], e["location"]) for e in response.json()["errors"]] == [(name, "body")]
        nested = notification_body(**{"person.nhs_number": "9990000018", "person.area_ods": "14L"})
        assert (await api.post("/notifications", json=nested, headers=callers[caller])).status_code == 422

    batch = {"items": [notification_body(**{"person.nhs_number": "9990000018", "stage": "completed"})]}
    answer = await api.post("/notifications/batch", json=batch, headers=callers["coordinator"])
    assert answer.status_code == 200
    assert answer.json()["created"] == 0
    assert [e["field"] for e in answer.json()["results"][0]["errors"]] == ["stage"]

    listed = await api.get("/notifications", headers=callers["coordinator"])
    assert len(listed.json()["items"]) == 1  # only the one the fixture made


def _attempts(flow: Flow, case: Case, flag_id: str, hold_id: str) -> list[tuple[str, str, str, Any, int]]:
    """(caller, method, path under the notification, body, expected status)."""
    reviewer_id = str(flow.reviewer.user.id)
    allocation = {"reviewer_id": reviewer_id, "reason": "rebalancing"}
    move = {"to": "excluded", "reason": "duplicate"}
    hold = {"reason": "police_investigation"}
    waiver = {"reason": "not needed"}
    dismissal = {"reason": "not a cause of death"}
    attempts: list[tuple[str, str, str, Any, int]] = []
    # An allowed caller adding a field the body does not have: 422, whatever the field.
    writes = [
        ("coordinator", "PUT", "/allocation", allocation),
        ("coordinator", "POST", "/transitions", move),
        ("reviewer", "POST", "/transitions", {"to": "initial_review"}),
        ("coordinator", "POST", "/holds", hold),
        ("coordinator", "POST", "/focused-review-waiver", waiver),
        ("coordinator", "POST", f"/flags/{flag_id}/dismissal", dismissal),
        ("reviewer", "PUT", "/findings", {"pen_portrait": "Joan loved music."}),
    ]
    for name in ("area_ods", "stage", "reviewer_id", "version", "flags", "open_bias_flags", "sla", "hold"):
        value = SERVICE_FIELDS.get(name, "14L")
        attempts += [(caller, method, path, {**body, name: value}, 422) for caller, method, path, body in writes
                     if name not in body]  # fmt: skip
    attempts += [
        # A caller whose role may not make the change at all: 403, before the body is looked at.
        ("reviewer", "PUT", "/allocation", allocation, 403),
        ("integrator", "PUT", "/allocation", allocation, 403),
        ("national", "PUT", "/allocation", allocation, 403),
        ("family", "PUT", "/allocation", allocation, 403),
        ("integrator", "POST", "/transitions", move, 403),
        ("national", "POST", "/transitions", move, 403),
        ("family", "POST", "/transitions", move, 403),
        ("reviewer", "POST", "/holds", hold, 403),
        ("reviewer", "POST", f"/holds/{hold_id}/end", None, 403),
        ("integrator", "POST", f"/holds/{hold_id}/end", None, 403),
        ("reviewer", "POST", "/focused-review-waiver", waiver, 403),
        ("reviewer", "POST", f"/flags/{flag_id}/dismissal", dismissal, 403),
        ("integrator", "POST", f"/flags/{flag_id}/dismissal", dismissal, 403),
        ("coordinator", "PUT", "/findings", {"pen_portrait": "Joan loved music."}, 403),
        # No route writes the record itself.
        ("coordinator", "PATCH", "", {"stage": "completed"}, 405),
        ("coordinator", "PUT", "", notification_body(area_ods="14L"), 405),
        ("integrator", "PATCH", "", {"area_ods": "14L"}, 405),
        ("coordinator", "DELETE", "", None, 405),
    ]
    return attempts


async def test_writes_that_set_what_the_caller_may_not_are_refused_and_change_nothing(api, setting):
    flow, case, callers = setting
    before = await flow.get(case)
    history = (await api.get(f"/notifications/{case.id}/history", headers=callers["coordinator"])).json()
    findings = await api.get(f"/notifications/{case.id}/findings", headers=callers["reviewer"])
    flag_id, hold_id = before["flags"][0]["id"], before["hold"]["id"]

    wrong = []
    for caller, method, path, body, expected in _attempts(flow, case, flag_id, hold_id):
        if_match = findings.headers["etag"] if path == "/findings" else case.etag
        headers = {**callers[caller], "If-Match": if_match}
        response = await api.request(method, f"/notifications/{case.id}{path}", json=body, headers=headers)
        refused_field = expected != 422 or any(e["field"] in (body or {}) for e in response.json().get("errors", []))
        if response.status_code != expected or not refused_field:
            wrong.append((caller, method, path, body, response.status_code, response.text[:200]))
    assert wrong == []

    assert await flow.get(case) == before
    assert (await api.get(f"/notifications/{case.id}/history", headers=callers["coordinator"])).json() == history
    after = await api.get(f"/notifications/{case.id}/findings", headers=callers["reviewer"])
    assert after.json() == findings.json()
