"""Every GET route that returns case, person or account data leaves an audit row (issue 14, item 3).

Each GET route of the app, API and family pages alike, is called by a caller it lets in (the hand-written access
matrix says which), and must add at least one audit row naming that caller. The routes that add none are
listed here with the reason; the mechanism that makes the rest hold is app.audit.service.audit_read, which
every request's transaction runs before it commits.
"""

from __future__ import annotations

import uuid

from fastapi.routing import APIRoute, iter_route_contexts
from sqlmodel import func, select

from app.audit.models import AuditEvent
from app.auth.policy import Role, Scope
from tests.api.test_families import invite, session_for
from tests.api.test_family_pages import browser, sign_in  # noqa: F401  (the fixture)
from tests.test_access_matrix import CALLERS, EXPECTED, QUERIES
from tests.workflow import Flow

NOT_AUDITED = {
    "/health/live": "no data",
    "/health/ready": "no data",
    "/metrics": "no data: counts, ages and route templates (tests/api/test_metrics.py checks for ids)",
    "/areas": "reference data: area codes and names (UNAUDITED_READS)",
    "/areas/{ods_code}/population": "reference data: an area's population by ethnic group (UNAUDITED_READS)",
    "/openapi.json": "the API's description",
    "/docs": "the API's description",
    "/docs/oauth2-redirect": "the API's description",
    "/redoc": "the API's description",
    "/for-families": "the code form: no one signed in",
    "/for-families/style.css": "a stylesheet",
}


async def _count(world) -> int:
    async with world.session() as session:
        return int((await session.exec(select(func.count()).select_from(AuditEvent))).one())


async def test_every_get_route_audits_its_read(api, world, browser):  # noqa: F811
    flow = await Flow.start(api, world)
    case = await flow.reach("allocated")
    code = (await invite(api, flow, case))["code"]
    assert (await sign_in(browser, code)).status_code == 303
    headers = {
        "coordinator": flow.coordinator.headers,
        "reviewer": flow.reviewer.headers,
        "national": (await world.staff(Role.national)).headers,
        "admin": (await world.staff(Role.admin)).headers,
        "integrator": await world.integrator(api, list(Scope), ["15F"]),
        "family": await session_for(api, (await invite(api, flow, case))["code"]),
    }
    values = {"notification_id": case.id, "user_id": str(flow.reviewer.user.id), "ods_code": "15F", "delivery_id": "1"}
    checked, silent = [], []
    for context in iter_route_contexts(api.app.routes):
        route = context.original_route
        path = context.path
        if not isinstance(route, APIRoute) or "GET" not in (route.methods or set()) or path in NOT_AUDITED:
            continue
        assert path is not None
        url = path
        for name in route.param_convertors:
            url = url.replace(f"{{{name}}}", values.get(name, str(uuid.uuid4())))
        if path.startswith("/for-families"):
            client, sent = browser, {}
        else:
            statuses = dict(zip(CALLERS, EXPECTED[f"GET {path}"].split(), strict=True))
            # one who reads it (200), or, where nothing is there to read yet, one who may look (404: audited too)
            caller = next((c for wanted in ("200", "404") for c in headers if statuses[c] == wanted), None)
            assert caller is not None, f"GET {path}: no caller may read it, in the access matrix"
            client, sent, expected = api, headers[caller], int(statuses[caller])
        before = await _count(world)
        response = await client.get(url, headers=sent, params=QUERIES.get(path))
        if client is browser:
            expected = 404 if path == "/for-families/summary" else 200  # no summary released yet
        assert response.status_code == expected, f"GET {path}: {response.status_code}"
        checked.append(path)
        if await _count(world) == before:
            silent.append(path)
    assert len(checked) >= 25
    assert silent == []
