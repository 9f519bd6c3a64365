"""What a process remembers instead of looking it up each request: callers for a few seconds (app/auth/callers.py),
and what a change made here or elsewhere does to the next request; areas once seen (they are never deleted).
Times are the app's clock, so nothing here sleeps."""

from __future__ import annotations

from datetime import timedelta

from app.auth.models import IntegratorClient
from app.auth.policy import Role, Scope
from app.users.models import StaffUser
from tests.api.test_statements_per_request import statements
from tests.factories import notification_body

CACHE_SECONDS = 5  # the default, LEDER_CALLER_CACHE_SECONDS


async def test_a_deactivation_through_the_api_holds_at_once_in_this_process(api, world):
    await world.area("15F")
    admin = await world.staff(Role.admin)
    coordinator = await world.staff(Role.coordinator, "15F")
    assert (await api.get("/notifications", headers=coordinator.headers)).status_code == 200  # remembered now
    deactivated = await api.patch(f"/users/{coordinator.user.id}", json={"active": False}, headers=admin.headers)
    assert deactivated.status_code == 200, deactivated.text
    assert (await api.get("/notifications", headers=coordinator.headers)).status_code == 401


async def test_a_change_made_elsewhere_holds_within_the_cache_time(api, world, clock):
    await world.area("15F")
    coordinator = await world.staff(Role.coordinator, "15F")
    assert (await api.get("/notifications", headers=coordinator.headers)).status_code == 200
    async with world.session() as session:  # as another replica, or `leder users deactivate`, would
        user = await session.get(StaffUser, coordinator.user.id)
        user.active = False
        await session.commit()
    clock.set(clock.now() + timedelta(seconds=CACHE_SECONDS - 1))
    assert (await api.get("/notifications", headers=coordinator.headers)).status_code == 200  # not yet here
    clock.set(clock.now() + timedelta(seconds=1))
    assert (await api.get("/notifications", headers=coordinator.headers)).status_code == 401


async def test_a_role_change_made_elsewhere_applies_after_the_cache_time(api, world, clock):
    await world.area("15F")
    coordinator = await world.staff(Role.coordinator, "15F")
    assert (await api.get("/notifications", headers=coordinator.headers)).status_code == 200
    async with world.session() as session:
        user = await session.get(StaffUser, coordinator.user.id)
        user.role = Role.reviewer.value
        await session.commit()
    clock.set(clock.now() + timedelta(seconds=CACHE_SECONDS))
    refused = await api.post("/notifications", json=notification_body(), headers=coordinator.headers)
    assert refused.status_code == 403  # reviewers may not notify
    assert "reviewer" in refused.json()["detail"]


async def test_a_deactivated_client_is_refused_within_the_cache_time(api, world, clock):
    await world.area("15F")
    client_id, secret = await world.client([Scope.notifications_read], ["15F"])
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    headers = {"Authorization": f"Bearer {(await api.post('/auth/token', data=form)).json()['access_token']}"}
    assert (await api.get("/notifications", headers=headers)).status_code == 200
    async with world.session() as session:  # as `leder clients deactivate` does, from another process
        client = await session.get(IntegratorClient, client_id)
        client.active = False
        await session.commit()
    clock.set(clock.now() + timedelta(seconds=CACHE_SECONDS))
    assert (await api.get("/notifications", headers=headers)).status_code == 401


async def test_each_token_keeps_its_own_scopes(api, world):
    await world.area("15F")
    client_id, secret = await world.client([Scope.notifications_read, Scope.notifications_write], ["15F"])

    async def token(scope: str) -> dict[str, str]:
        form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, "scope": scope}
        response = await api.post("/auth/token", data=form)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    both = await token("notifications:read notifications:write")
    read_only = await token("notifications:read")
    assert (await api.get("/notifications", headers=both)).status_code == 200  # remembered with both scopes
    created = await api.post("/notifications", json=notification_body(), headers=read_only)
    assert created.status_code == 403  # not the principal remembered for the other token
    assert (await api.post("/notifications", json=notification_body(), headers=both)).status_code == 201


async def test_a_remembered_caller_saves_the_lookup(api, world):
    await world.area("15F")
    coordinator = await world.staff(Role.coordinator, "15F")
    with statements(api.app.state.engine) as first:
        await api.get("/notifications", headers=coordinator.headers)
    with statements(api.app.state.engine) as second:
        await api.get("/notifications", headers=coordinator.headers)
    assert first.count("SELECT staff_user") == 1 and "SELECT staff_user" not in second


async def test_an_area_is_looked_up_until_seen_then_remembered(api, world):
    # Areas are never deleted: once one exists, creating notifications for it need not look it up again.
    from app.areas.service import area_exists

    async with world.session() as session:
        assert not await area_exists(session, "15F")  # not there yet, and not remembered as missing
    await world.area("15F")
    async with world.session() as session:
        assert await area_exists(session, "15F")
    integrator = await world.integrator(api, [Scope.notifications_read, Scope.notifications_write], ["15F"])
    with statements(api.app.state.engine) as seen:
        first = await api.post("/notifications", json=notification_body(), headers=integrator)
        second = await api.post(
            "/notifications", json=notification_body(**{"person.nhs_number": "9990000018"}), headers=integrator
        )
    assert (first.status_code, second.status_code) == (201, 201)
    assert "SELECT area" not in seen  # seen by the session above, in this app
