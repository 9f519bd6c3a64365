"""A read and a list page take each notification's holds and flags from the notification's own statement, as JSON
(app/notifications/related.py); a write answers with them loaded by the ORM. Both must give the same view."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.auth.policy import Role
from tests.workflow import Flow

FLAGGED = {
    "death.cause_of_death": {"part_1": [{"text": "Bronchopneumonia", "icd10": "J18.0"}, {"text": "Down's syndrome"}]},
    "death.dnacpr": {"in_place": True, "rationale": "Downs syndrome and learning disabilities"},
}


@pytest.fixture
async def flow(api, world):
    return await Flow.start(api, world)


async def test_a_read_and_a_page_show_the_holds_and_flags_a_write_loaded(api, flow, world, clock):
    clock.set(datetime(2025, 3, 17, 10, tzinfo=UTC))
    flow.refresh_tokens()
    plain = await flow.notify("9434765870")
    case = await flow.notify(**FLAGGED)
    assert (await flow.allocate(case)).status_code == 200
    flags = (await flow.get(case))["flags"]
    assert len(flags) == 3
    dismissal = {"reason": "Recorded in error; certificate reissued"}
    dismissed = await flow.write("POST", case, f"/flags/{flags[1]['id']}/dismissal", flow.coordinator, dismissal)
    assert dismissed.status_code == 200, dismissed.text

    first = (await flow.hold(case, reference="Inquest 2025/117")).json()["hold"]
    clock.set(datetime(2025, 4, 16, 9, tzinfo=UTC))
    flow.refresh_tokens()
    assert (await flow.end_hold(case, first["id"])).status_code == 200
    clock.set(datetime(2025, 5, 2, 15, tzinfo=UTC))
    flow.refresh_tokens()
    held = await flow.hold(case, reason="police_investigation", expected_end_on="2025-08-01")
    assert held.status_code == 201, held.text
    written = held.json()  # built from holds and flags the ORM loaded after the write

    assert written["hold"]["reason"] == "police_investigation"
    assert [f["dismissal_reason"] for f in written["flags"]] == [None, dismissal["reason"], None]
    read = await flow.get(case)
    assert read == written
    page = await api.get("/notifications", headers=flow.coordinator.headers)
    assert page.status_code == 200
    by_id = {item["id"]: item for item in page.json()["items"]}
    assert by_id[case.id] == written
    assert by_id[plain.id]["hold"] is None and by_id[plain.id]["flags"] == []
    assert by_id[plain.id] == await flow.get(plain)

    # The clock counts both holds: 30 days of the first, and the second's days so far.
    explained = (await api.get(f"/notifications/{case.id}/sla", headers=flow.coordinator.headers)).json()
    assert [hold["days"] for hold in explained["holds"]] == [30, 0]
    assert read["sla"] == {key: explained[key] for key in read["sla"]}
    assert read["sla"]["hold_adjusted"]["paused"] is True

    national = await world.staff(Role.national)
    deidentified = await api.get(f"/notifications/{case.id}", headers=national.headers)
    assert deidentified.json()["sla_state"] == read["sla"]["hold_adjusted"]["state"]
