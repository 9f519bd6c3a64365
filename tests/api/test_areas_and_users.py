"""Admin-managed areas and staff users."""

from __future__ import annotations

import pytest

from app.auth.policy import Role


@pytest.fixture
async def admin(world):
    return await world.staff(Role.admin)


async def test_admin_adds_and_renames_areas_which_every_staff_role_can_list(api, world, admin):
    created = await api.post(
        "/areas",
        json={"ods_code": "15F", "name": "NHS Leeds CCG", "region": "North East and Yorkshire"},
        headers=admin.headers,
    )
    assert created.status_code == 201
    renamed = await api.patch("/areas/15F", json={"name": "NHS West Yorkshire ICB"}, headers=admin.headers)
    assert renamed.json() == {
        "ods_code": "15F",
        "name": "NHS West Yorkshire ICB",
        "region": "North East and Yorkshire",
    }

    reviewer = await world.staff(Role.reviewer, "15F")
    listed = await api.get("/areas", headers=reviewer.headers)
    assert listed.json() == [renamed.json()]


async def test_area_problems(api, world, admin):
    await api.post("/areas", json={"ods_code": "15F", "name": "Leeds"}, headers=admin.headers)
    coordinator = await world.staff(Role.coordinator, "15F")

    assert (
        await api.post("/areas", json={"ods_code": "15F", "name": "Again"}, headers=admin.headers)
    ).status_code == 409
    assert (await api.post("/areas", json={"ods_code": "15f!", "name": "X"}, headers=admin.headers)).status_code == 422
    assert (await api.patch("/areas/99X", json={"name": "X"}, headers=admin.headers)).status_code == 404
    forbidden = await api.post("/areas", json={"ods_code": "14L", "name": "X"}, headers=coordinator.headers)
    assert forbidden.status_code == 403
    assert (await api.patch("/areas/15F", json={"name": "X"}, headers=coordinator.headers)).status_code == 403
    assert (await api.get("/areas")).status_code == 401


async def test_admin_manages_staff_users(api, world, admin):
    await world.area("15F")
    body = {"role": "reviewer", "area_ods": "15F", "name": "Rae Viewer", "email": "rae@leder-test.org.uk"}
    created = await api.post("/users", json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    user = created.json()
    assert (user["role"], user["area_ods"], user["active"]) == ("reviewer", "15F", True)

    assert (await api.get(f"/users/{user['id']}", headers=admin.headers)).json() == user
    assert user in (await api.get("/users", headers=admin.headers)).json()
    assert (await api.post("/users", json=body, headers=admin.headers)).status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"role": "coordinator", "name": "No Area", "email": "a@leder-test.org.uk"},
        {"role": "national", "area_ods": "15F", "name": "Has Area", "email": "b@leder-test.org.uk"},
        {"role": "family", "name": "Not Staff", "email": "c@leder-test.org.uk"},
        {"role": "integrator", "name": "Not Staff", "email": "c@leder-test.org.uk"},
        {"role": "reviewer", "area_ods": "99X", "name": "No Such Area", "email": "d@leder-test.org.uk"},
        {"role": "admin", "name": "Bad Email", "email": "nope"},
        {"role": "admin", "name": "Extra", "email": "e@leder-test.org.uk", "active": False},
    ],
)
async def test_invalid_users_are_refused(api, world, admin, body):
    await world.area("15F")
    response = await api.post("/users", json=body, headers=admin.headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_only_admins_manage_users(api, world):
    await world.area("15F")
    for role, area in [(Role.coordinator, "15F"), (Role.reviewer, "15F"), (Role.national, None)]:
        caller = await world.staff(role, area)
        assert (await api.get("/users", headers=caller.headers)).status_code == 403
        assert (
            await api.patch(f"/users/{caller.user.id}", json={"active": True}, headers=caller.headers)
        ).status_code == 403


@pytest.mark.parametrize(
    ("path", "body"),
    [("/areas/15F", {"name": None}), ("/users/{user}", {"active": None}), ("/users/{user}", {"name": None})],
)
async def test_patch_refuses_null_for_fields_that_cannot_be_empty(api, world, admin, path, body):
    await api.post("/areas", json={"ods_code": "15F", "name": "Leeds", "region": "North"}, headers=admin.headers)
    response = await api.patch(path.format(user=admin.user.id), json=body, headers=admin.headers)
    assert response.status_code == 422
    cleared = await api.patch("/areas/15F", json={"region": None}, headers=admin.headers)
    assert cleared.json()["region"] is None


async def test_emails_are_unique_whatever_their_case(api, world, admin):
    body = {"role": "admin", "name": "Ada", "email": "Ada@Leder-Test.org.uk"}
    first = await api.post("/users", json=body, headers=admin.headers)
    assert first.json()["email"] == "ada@leder-test.org.uk"
    again = await api.post("/users", json={**body, "email": "ADA@leder-test.org.uk"}, headers=admin.headers)
    assert again.status_code == 409


async def test_only_an_admin_binds_an_external_login_and_it_is_audited(api, world):
    await world.area("15F")
    coordinator = await world.staff(Role.coordinator, "15F")
    admin = await world.staff(Role.admin)
    body = {"name": "Rae Viewer", "email": "rae@leder-test.org.uk", "max_active_reviews": 5, "external_subject": "x1"}
    refused = await api.post("/reviewers", json=body, headers=coordinator.headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "external_subject"
    del body["external_subject"]
    reviewer = await api.post("/reviewers", json=body, headers=coordinator.headers)
    assert reviewer.status_code == 201, reviewer.text
    user_id = reviewer.json()["id"]
    assert (
        await api.patch(f"/users/{user_id}", json={"external_subject": "x1"}, headers=coordinator.headers)
    ).status_code == 403

    bound = await api.patch(f"/users/{user_id}", json={"external_subject": "x1"}, headers=admin.headers)
    assert bound.status_code == 200, bound.text
    rows = await world.audit_rows(action="user.bind_external_login")
    assert [(r.actor, r.object_type, r.object_id, r.outcome) for r in rows] == [
        (f"user:{admin.user.id}", "staff_user", user_id, "allowed")
    ]
    other = await world.staff(Role.reviewer, "15F")
    taken = await api.patch(f"/users/{other.user.id}", json={"external_subject": "x1"}, headers=admin.headers)
    assert taken.status_code == 409
    unbound = await api.patch(f"/users/{user_id}", json={"external_subject": None}, headers=admin.headers)
    assert unbound.status_code == 200
    assert len(await world.audit_rows(action="user.bind_external_login")) == 2
