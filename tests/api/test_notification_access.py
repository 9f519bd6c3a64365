"""Who sees which notifications: areas, roles, scopes, and de-identified national views."""

from __future__ import annotations

import pytest

from app.auth.policy import Role, Scope
from tests.factories import new_id, notification_body


@pytest.fixture
async def two_areas(world, api):
    await world.area("15F")
    await world.area("14L")
    leeds = await world.staff(Role.coordinator, "15F")
    manchester = await world.staff(Role.coordinator, "14L")
    created = await api.post("/notifications", json=notification_body(), headers=leeds.headers)
    assert created.status_code == 201
    return leeds, manchester, created.json()


async def test_a_coordinator_cannot_see_another_areas_notification(api, two_areas):
    _, manchester, notification = two_areas
    hidden = await api.get(f"/notifications/{notification['id']}", headers=manchester.headers)
    missing = await api.get(f"/notifications/{new_id()}", headers=manchester.headers)

    assert hidden.status_code == missing.status_code == 404
    # Indistinguishable from a record that does not exist, apart from the request id.
    strip = lambda p: {k: v for k, v in p.json().items() if k != "request_id"}  # noqa: E731
    assert strip(hidden) == strip(missing)


async def test_a_coordinator_lists_only_their_area_even_when_asking_for_another(api, two_areas):
    leeds, manchester, notification = two_areas
    own = await api.get("/notifications", headers=leeds.headers)
    theirs = await api.get("/notifications", headers=manchester.headers)
    asked = await api.get("/notifications", params={"area": "15F"}, headers=manchester.headers)

    assert [n["id"] for n in own.json()["items"]] == [notification["id"]]
    assert theirs.json()["items"] == []
    assert asked.status_code == 200
    assert asked.json()["items"] == []


async def test_a_coordinator_cannot_create_in_another_area(api, two_areas):
    _, manchester, _ = two_areas
    body = notification_body(**{"person.nhs_number": "9990000018"})
    response = await api.post("/notifications", json=body, headers=manchester.headers)

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    leeds_list = await api.get("/notifications", params={"area": "15F"}, headers=two_areas[0].headers)
    assert len(leeds_list.json()["items"]) == 1


async def test_a_reviewer_sees_nothing_before_allocation(api, world, two_areas):
    _, _, notification = two_areas
    reviewer = await world.staff(Role.reviewer, "15F")

    one = await api.get(f"/notifications/{notification['id']}", headers=reviewer.headers)
    listed = await api.get("/notifications", headers=reviewer.headers)
    assert one.status_code == 404
    assert listed.status_code == 200
    assert listed.json() == {"items": [], "next_cursor": None}


async def test_a_reviewer_cannot_record_notifications(api, world, two_areas):
    reviewer = await world.staff(Role.reviewer, "15F")
    body = notification_body(**{"person.nhs_number": "9990000018"})
    assert (await api.post("/notifications", json=body, headers=reviewer.headers)).status_code == 403


IDENTIFIABLE = {"person", "death", "notifier", "nhs_number", "given_name", "family_name", "date_of_birth"}
DEIDENTIFIED_FIELDS = {
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


async def test_a_national_caller_sees_every_area_and_no_identifiable_field(api, world, two_areas):
    _, manchester, notification = two_areas
    await world.area("36L")
    other = notification_body(area_ods="14L", **{"person.nhs_number": "9990000018"})
    assert (await api.post("/notifications", json=other, headers=manchester.headers)).status_code == 201
    national = await world.staff(Role.national)

    one = await api.get(f"/notifications/{notification['id']}", headers=national.headers)
    listed = await api.get("/notifications", headers=national.headers)

    assert one.status_code == 200
    assert one.json() == {
        "id": notification["id"],
        "area_ods": "15F",
        "stage": "notified",
        "review_route": "leder",
        "closure_reason": None,
        "notified_month": "2025-03",
        "month_of_death": "2025-03",
        "age_band": "45-54",
        "sex": "female",
        "ethnic_group": "white",
        "learning_disability_level": "moderate",
        "autism": False,
        "place_of_death": "hospital",
        "sla_state": "on_track",
    }
    assert len(listed.json()["items"]) == 2
    for item in listed.json()["items"]:
        assert set(item) == DEIDENTIFIED_FIELDS
    for text in ("9434765919", "Joan", "Example", "1970-05-20", "2025-03-10", "2025-03-17", "Sam Officer", "Aspir"):
        assert text not in one.text
        assert text not in listed.text


async def test_a_national_caller_may_not_record_notifications(api, world, two_areas):
    national = await world.staff(Role.national)
    body = notification_body(**{"person.nhs_number": "9990000018"})
    assert (await api.post("/notifications", json=body, headers=national.headers)).status_code == 403


async def test_an_admin_manages_areas_but_does_not_read_notifications(api, world, two_areas):
    admin = await world.staff(Role.admin)
    assert (await api.get("/notifications", headers=admin.headers)).status_code == 403
    assert (await api.get(f"/notifications/{two_areas[2]['id']}", headers=admin.headers)).status_code == 403


async def _client_token(api, client_id, secret, scope=None):
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    if scope:
        form["scope"] = scope
    response = await api.post("/auth/token", data=form)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_an_integrator_writes_and_reads_only_in_its_granted_areas(api, world, two_areas):
    _, _, leeds_notification = two_areas
    client_id, secret = await world.client([Scope.notifications_write, Scope.notifications_read], ["14L"])
    headers = await _client_token(api, client_id, secret)

    mine = notification_body(area_ods="14L", **{"person.nhs_number": "9990000018"})
    created = await api.post("/notifications", json=mine, headers=headers)
    not_mine = notification_body(**{"person.nhs_number": "9990000026"})
    refused = await api.post("/notifications", json=not_mine, headers=headers)

    assert created.status_code == 201
    assert refused.status_code == 403
    assert (await api.get(created.headers["location"], headers=headers)).status_code == 200
    assert (await api.get(f"/notifications/{leeds_notification['id']}", headers=headers)).status_code == 404
    listed = await api.get("/notifications", headers=headers)
    assert [n["id"] for n in listed.json()["items"]] == [created.json()["id"]]


async def test_an_integrator_needs_the_scope_for_the_action(api, world, two_areas):
    client_id, secret = await world.client([Scope.notifications_read], ["15F"])
    headers = await _client_token(api, client_id, secret)
    body = notification_body(**{"person.nhs_number": "9990000018"})

    assert (await api.post("/notifications", json=body, headers=headers)).status_code == 403
    assert (await api.get("/notifications", headers=headers)).status_code == 200


async def test_a_token_narrowed_to_one_scope_cannot_use_the_others(api, world, two_areas):
    client_id, secret = await world.client([Scope.notifications_write, Scope.notifications_read], ["15F"])
    headers = await _client_token(api, client_id, secret, scope="notifications:write")
    assert (await api.get("/notifications", headers=headers)).status_code == 403


async def test_list_filters_and_keyset_paging(api, world):
    await world.area("15F")
    coordinator = await world.staff(Role.coordinator, "15F")
    numbers = ["9990000018", "9990000026", "9990000034", "9990000042", "9434765919"]
    days = ["2025-03-12", "2025-03-11", "2025-03-12", "2025-03-13", "2025-03-11"]
    for number, day in zip(numbers, days, strict=True):
        body = notification_body(notified_on=day, **{"person.nhs_number": number})
        assert (await api.post("/notifications", json=body, headers=coordinator.headers)).status_code == 201

    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/notifications", params=params, headers=coordinator.headers)).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and len({n["id"] for n in seen}) == 5
    assert [n["notified_on"] for n in seen] == sorted(days)

    window = await api.get(
        "/notifications",
        params={"notified_from": "2025-03-12", "notified_to": "2025-03-12", "stage": "notified"},
        headers=coordinator.headers,
    )
    assert [n["notified_on"] for n in window.json()["items"]] == ["2025-03-12", "2025-03-12"]
    none = await api.get("/notifications", params={"stage": "completed"}, headers=coordinator.headers)
    assert none.json()["items"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"cursor": "not-a-cursor"},
        {"stage": "done"},
        {"notified_from": "yesterday"},
    ],
)
async def test_bad_list_parameters_are_problems(api, world, params):
    await world.area("15F")
    coordinator = await world.staff(Role.coordinator, "15F")
    response = await api.get("/notifications", params=params, headers=coordinator.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == "query"
