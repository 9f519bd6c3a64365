"""Notification views are plain dictionaries serialised by orjson (app/notifications/stored.py, app/core/responses.py);
the pydantic models document them. Every view a caller can get, from a read, a page and a write, must be exactly
what its model would write for the same values: the model accepts it, and writes it back character for character.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from app.auth.policy import Role, Scope
from app.notifications.schemas import NotificationDeidentified, NotificationForIntegrator, NotificationPublic
from tests.factories import notification_body
from tests.workflow import Flow

FLAGGED: dict[str, Any] = {
    "death.cause_of_death": {
        "part_1": [{"text": "Bronchopneumonia", "icd10": "J18.0"}, {"text": "Down's syndrome"}],
        "part_2": [{"text": "Epilepsy", "icd10": "G40.9"}],
    },
    "death.dnacpr": {"in_place": True, "rationale": "Downs syndrome and learning disabilities"},
    "death.other_processes": ["coroner_investigation"],
}
EVERY_SCOPE = [
    Scope.notifications_read,
    Scope.notifications_dates,
    Scope.notifications_identity,
    Scope.notifications_clinical,
    Scope.notifications_review,
]


def assert_served_as_the_model_writes(model: type[BaseModel], served: str) -> None:
    """`served` is one view's JSON text: the model must read it and write the very same text."""
    assert model.model_validate_json(served).model_dump_json() == served


@pytest.fixture
async def cases(api, world):
    """A flagged case with a dismissed flag, an ended hold and one still open; a plain open case; an excluded
    one (no clock); all in area 15F."""
    flow = await Flow.start(api, world)
    flagged = await flow.notify(**FLAGGED)
    assert (await flow.allocate(flagged)).status_code == 200
    flag = (await flow.get(flagged))["flags"][0]["id"]
    dismissed = await flow.write("POST", flagged, f"/flags/{flag}/dismissal", flow.coordinator, {"reason": "Error"})
    assert dismissed.status_code == 200, dismissed.text
    first = (await flow.hold(flagged, reference="Inquest 2025/117")).json()["hold"]
    assert (await flow.end_hold(flagged, first["id"])).status_code == 200
    written = await flow.hold(flagged, reason="police_investigation", expected_end_on="2026-06-01")
    assert written.status_code == 201, written.text
    plain = await flow.notify("9434765870")
    excluded = await flow.notify("9990000026", **{"national_data_opt_out": True})
    assert (await flow.get(excluded))["stage"] == "excluded"
    return flow, [flagged, plain, excluded], written


async def test_every_view_is_what_its_model_writes(api, world, cases):
    flow, ids, written = cases
    assert_served_as_the_model_writes(NotificationPublic, written.text)  # a write's answer
    national = await world.staff(Role.national)
    full = await world.integrator(api, EVERY_SCOPE, ["15F"])
    minimal = await world.integrator(api, [Scope.notifications_read], ["15F"])
    callers: list[tuple[dict[str, str], type[BaseModel]]] = [
        (flow.coordinator.headers, NotificationPublic),
        (national.headers, NotificationDeidentified),
        (full, NotificationForIntegrator),
        (minimal, NotificationForIntegrator),
    ]
    for headers, model in callers:
        for case in ids:
            read = await api.get(f"/notifications/{case.id}", headers=headers)
            assert read.status_code == 200, read.text
            assert_served_as_the_model_writes(model, read.text)
        page = await api.get("/notifications", headers=headers)
        assert page.status_code == 200
        items = page.json()["items"]
        assert len(items) == 3
        # The page's text is the items' texts, as each read wrote them, in a list.
        reads = [(await api.get(f"/notifications/{item['id']}", headers=headers)).text for item in items]
        assert page.text == '{"items":[' + ",".join(reads) + '],"next_cursor":null}'


async def test_a_create_answers_with_the_view_its_model_writes(api, world):
    flow = await Flow.start(api, world)
    created = await api.post("/notifications", json=_body("9434765919", **FLAGGED), headers=flow.coordinator.headers)
    assert created.status_code == 201, created.text
    assert_served_as_the_model_writes(NotificationPublic, created.text)
    client = await world.integrator(api, [Scope.notifications_write, *EVERY_SCOPE], ["15F"])
    pushed = await api.post("/notifications", json=_body("9434765870"), headers=client)
    assert pushed.status_code == 201, pushed.text
    assert_served_as_the_model_writes(NotificationForIntegrator, pushed.text)


def _body(number: str, **changes: Any) -> dict[str, Any]:
    return notification_body(**{"person.nhs_number": number, **changes})
