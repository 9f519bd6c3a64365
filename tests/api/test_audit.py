"""The audit trail: every read and write of a notification, and every refused attempt."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.auth.policy import Role, Scope
from tests.api.test_families import invite, session_for
from tests.conftest import START
from tests.factories import new_id, notification_body
from tests.workflow import Flow


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


async def test_a_page_audits_the_notifications_it_shows_and_not_the_next_pages(api, world, setting):
    """On PostgreSQL the page's audit rows are written by the statement that reads the page, which also reads
    one row more to know that another page follows: that row is not shown, so it is not audited."""
    leeds, _, first = setting
    for number in ("9434765870", "9990000026"):
        body = notification_body(**{"person.nhs_number": number})
        assert (await api.post("/notifications", json=body, headers=leeds.headers)).status_code == 201
    shown: list[str] = []
    cursor = None
    for expected in (2, 1):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = await api.get("/notifications", params=params, headers=leeds.headers)
        page = response.json()
        ids = [item["id"] for item in page["items"]]
        assert len(ids) == expected
        rows = await world.audit_rows(request_id=response.headers["x-request-id"])
        assert sorted((r.action, r.outcome, r.actor, r.area, r.object_id) for r in rows) == sorted(
            ("notification.read", "allowed", f"user:{leeds.user.id}", "15F", i) for i in ids
        )
        assert all(r.at.tzinfo is not None and r.object_type == "notification" for r in rows)
        shown += ids
        cursor = page["next_cursor"]
    assert cursor is None and first in shown and len(set(shown)) == 3


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


# GET /audit: admins query the whole trail, coordinators their own area's; everyone else is refused.


async def trail(api, who, **params):
    response = await api.get("/audit", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


def summary(page):
    return [(r["action"], r["outcome"], r["area"], r["object_id"]) for r in page["items"]]


@pytest.fixture
async def history(api, clock, setting):
    """The Leeds notification created at START, read in Leeds ten minutes later, looked for from
    Manchester (refused: not their area) ten minutes after that."""
    leeds, manchester, notification_id = setting
    clock.set(START + timedelta(minutes=10))
    assert (await api.get(f"/notifications/{notification_id}", headers=leeds.headers)).status_code == 200
    clock.set(START + timedelta(minutes=20))
    assert (await api.get(f"/notifications/{notification_id}", headers=manchester.headers)).status_code == 404
    return leeds, manchester, notification_id


async def test_an_admin_queries_the_trail_by_notification_actor_and_time(api, world, history):
    leeds, manchester, notification_id = history
    admin = await world.staff(Role.admin)

    about = await trail(api, admin, notification_id=notification_id)
    assert summary(about) == [
        ("notification.create", "allowed", "15F", notification_id),
        ("notification.read", "allowed", "15F", notification_id),
        ("notification.read", "not_found", "14L", notification_id),
    ]
    first = about["items"][0]
    assert first["actor"] == f"user:{leeds.user.id}"
    assert (first["role"], first["object_type"], first["at"]) == ("coordinator", "notification", "2025-03-17T10:00:00Z")
    assert (first["chain_seq"], first["row_hash"]) == (None, None)  # the worker has not sealed it yet
    assert about["next_cursor"] is None

    by_actor = await trail(api, admin, actor=f"user:{manchester.user.id}")
    assert summary(by_actor) == [("notification.read", "not_found", "14L", notification_id)]

    # `from` is inclusive, `to` exclusive; the admin's own queries (at 10:20) fall outside.
    window = {"from": "2025-03-17T10:05:00Z", "to": "2025-03-17T10:20:00+00:00"}
    assert summary(await trail(api, admin, **window)) == [("notification.read", "allowed", "15F", notification_id)]
    in_paris = {"from": "2025-03-17T11:10:00+01:00", "to": "2025-03-17T11:10:00.000001+01:00"}
    assert summary(await trail(api, admin, **in_paris)) == [("notification.read", "allowed", "15F", notification_id)]


async def test_a_coordinator_sees_only_their_own_areas_rows(api, world, history):
    leeds, manchester, notification_id = history
    leeds_rows = (await trail(api, leeds))["items"]
    assert {r["area"] for r in leeds_rows} == {"15F"}
    assert [r["action"] for r in leeds_rows] == ["notification.create", "notification.read"]

    # Manchester asking about the Leeds notification sees only what Manchester did to it.
    theirs = await trail(api, manchester, notification_id=notification_id)
    assert summary(theirs) == [("notification.read", "not_found", "14L", notification_id)]
    assert (await trail(api, manchester, actor=f"user:{leeds.user.id}"))["items"] == []


async def test_reading_the_trail_is_audited(api, world, setting):
    admin = await world.staff(Role.admin)
    response = await api.get("/audit", headers=admin.headers)
    rows = await world.audit_rows(request_id=response.headers["x-request-id"])
    assert [(r.action, r.outcome, r.actor) for r in rows] == [("audit.read", "allowed", f"user:{admin.user.id}")]


async def test_the_trail_pages_by_cursor_without_gaps_or_repeats(api, world, setting):
    leeds, _, notification_id = setting
    for _ in range(4):  # the clock stands still: every row has the same time, and the id orders them
        await api.get(f"/notifications/{notification_id}", headers=leeds.headers)
    admin = await world.staff(Role.admin)
    everything = [r["id"] for r in (await trail(api, admin, notification_id=notification_id))["items"]]
    assert len(everything) == 5

    seen, cursor = [], None
    while True:
        page = await trail(
            api, admin, notification_id=notification_id, limit=2, **({"cursor": cursor} if cursor else {})
        )
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything


@pytest.mark.parametrize("who", ["reviewer", "national", "integrator", "family"])
async def test_other_roles_may_not_read_the_trail(api, world, who):
    flow = await Flow.start(api, world)
    case = await flow.reach("allocated")
    headers = {
        "reviewer": flow.reviewer.headers,
        "national": (await world.staff(Role.national)).headers,
        "integrator": await world.integrator(api, list(Scope), ["15F"]),
        "family": await session_for(api, (await invite(api, flow, case))["code"]) if who == "family" else {},
    }[who]
    response = await api.get("/audit", headers=headers)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    denied = await world.audit_rows(request_id=response.headers["x-request-id"])
    assert [(r.action, r.outcome) for r in denied] == [("audit.read", "denied")]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2025-03-17T10:00:00"}, "from"),  # no time zone: which 10 o'clock?
        ({"to": "yesterday"}, "to"),
        ({"to": "5550160"}, "to"),  # not seconds since 1970 (the fuzzer's find)
        ({"from": "2025-03-17"}, "from"),  # a day is not a moment
        ({"from": "2025-03-18T00:00:00Z", "to": "2025-03-17T00:00:00Z"}, "to"),
        ({"notification_id": "not-a-uuid"}, "notification_id"),
        ({"actor": "Joan Example"}, "actor"),
        ({"cursor": "bm90IGEgY3Vyc29y"}, "cursor"),
        ({"limit": "101"}, "limit"),
    ],
)
async def test_bad_filters_are_422_problems(api, world, params, field):
    admin = await world.staff(Role.admin)
    response = await api.get("/audit", params=params, headers=admin.headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [(e["field"], e["location"]) for e in response.json()["errors"]] == [(field, "query")]
