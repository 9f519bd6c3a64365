"""The audit trail: every read and write of a notification, and every refused attempt."""

from __future__ import annotations

import pytest

from app.auth.policy import Role
from tests.factories import new_id, notification_body


@pytest.fixture
async def setting(world, api):
    await world.area("15F")
    await world.area("14L")
    leeds = await world.staff(Role.coordinator, "15F")
    manchester = await world.staff(Role.coordinator, "14L")
    created = await api.post("/notifications", json=notification_body(), headers=leeds.headers)
    return leeds, manchester, created.json()["id"]


async def test_writes_and_reads_are_audited_with_who_what_and_request_id(api, world, setting):
    leeds, _, notification_id = setting
    read = await api.get(f"/notifications/{notification_id}", headers=leeds.headers)
    await api.get("/notifications", headers=leeds.headers)

    rows = await world.audit_rows(object_id=notification_id)
    assert [(r.action, r.outcome) for r in rows] == [
        ("notification.create", "allowed"),
        ("notification.read", "allowed"),
        ("notification.read", "allowed"),
    ]
    for row in rows:
        assert row.actor == f"user:{leeds.user.id}"
        assert (row.role, row.area, row.object_type) == ("coordinator", "15F", "notification")
        assert row.at.tzinfo is not None
    assert rows[1].request_id == read.headers["x-request-id"]


@pytest.mark.parametrize(
    ("who", "status", "outcome"),
    [
        ("other_area", 404, "not_found"),
        ("reviewer", 404, "not_found"),
        ("admin", 403, "denied"),
        ("no_token", 401, "unauthenticated"),
        ("bad_token", 401, "unauthenticated"),
    ],
)
async def test_every_denied_read_leaves_an_audit_row(api, world, setting, who, status, outcome):
    _, manchester, notification_id = setting
    headers = {
        "other_area": manchester.headers,
        "reviewer": (await world.staff(Role.reviewer, "15F")).headers,
        "admin": (await world.staff(Role.admin)).headers,
        "no_token": {},
        "bad_token": {"Authorization": "Bearer not.a.token"},
    }[who]
    response = await api.get(f"/notifications/{notification_id}", headers=headers)
    assert response.status_code == status

    rows = await world.audit_rows(request_id=response.headers["x-request-id"])
    assert [(r.action, r.outcome, r.object_id) for r in rows] == [("notification.read", outcome, notification_id)]


async def test_an_empty_list_is_audited(api, world, setting):
    reviewer = await world.staff(Role.reviewer, "15F")
    response = await api.get("/notifications", headers=reviewer.headers)
    assert response.json()["items"] == []
    rows = await world.audit_rows(request_id=response.headers["x-request-id"])
    assert [(r.action, r.outcome, r.object_id, r.actor) for r in rows] == [
        ("notification.read", "allowed", None, f"user:{reviewer.user.id}")
    ]


async def test_token_requests_are_audited_without_secrets(api, world, setting):
    from app.auth.policy import Scope

    client_id, secret = await world.client([Scope.notifications_read], ["15F"])
    good = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    bad = {**good, "client_secret": "wrong"}
    for form, outcome in [(good, "allowed"), (bad, "unauthenticated")]:
        response = await api.post("/auth/token", data=form)
        rows = await world.audit_rows(request_id=response.headers["x-request-id"])
        assert [(r.action, r.outcome, r.object_id) for r in rows] == [("auth.token", outcome, client_id)]
    assert secret not in repr([r.model_dump() for r in await world.audit_rows()])


async def test_a_denied_create_is_audited_and_writes_nothing_else(api, world, setting):
    _, manchester, _ = setting
    body = notification_body(**{"person.nhs_number": "9990000018"})
    response = await api.post("/notifications", json=body, headers=manchester.headers)

    assert response.status_code == 403
    rows = await world.audit_rows(request_id=response.headers["x-request-id"])
    assert [(r.action, r.outcome, r.actor) for r in rows] == [
        ("notification.create", "denied", f"user:{manchester.user.id}")
    ]


async def test_a_read_of_a_missing_notification_is_audited(api, world, setting):
    leeds, _, _ = setting
    missing = new_id()
    response = await api.get(f"/notifications/{missing}", headers=leeds.headers)
    assert response.status_code == 404
    rows = await world.audit_rows(object_id=missing)
    assert [(r.outcome, r.actor) for r in rows] == [("not_found", f"user:{leeds.user.id}")]


async def test_audit_rows_hold_no_personal_data(api, world, setting):
    rows = await world.audit_rows()
    text = repr([r.model_dump() for r in rows])
    for value in ("9434765919", "Joan", "Example", "1970-05-20"):
        assert value not in text
