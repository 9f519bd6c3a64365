"""Every route of the API, called by every role and by no one: exactly the outcome the policy table
declares. Allowed roles get past authorisation (whatever their request then earns: 200, 404, 422...);
roles the table leaves out get 403; no token gets 401. Public routes never ask for a token."""

from __future__ import annotations

import uuid

from fastapi.routing import APIRoute, iter_route_contexts

from app.auth.policy import INTEGRATOR_SCOPE, POLICY, Role, Scope
from tests.api.test_families import invite, session_for
from tests.test_route_policy import PUBLIC, _actions
from tests.workflow import Flow


async def test_every_route_answers_every_role_as_the_policy_table_says(api, world):
    flow = await Flow.start(api, world)
    case = await flow.reach("allocated")
    callers: dict[str, tuple[Role | None, dict[str, str]]] = {
        "no token": (None, {}),
        "coordinator": (Role.coordinator, flow.coordinator.headers),
        "reviewer": (Role.reviewer, flow.reviewer.headers),
        "national": (Role.national, (await world.staff(Role.national)).headers),
        "admin": (Role.admin, (await world.staff(Role.admin)).headers),
        "integrator": (Role.integrator, await world.integrator(api, list(Scope), ["15F"])),
        "family": (Role.family, await session_for(api, family_code := (await invite(api, flow, case))["code"])),
    }
    values = {"notification_id": case.id, "user_id": str(flow.reviewer.user.id), "ods_code": "15F", "delivery_id": "1"}
    wrong: list[str] = []
    checked = 0
    for context in iter_route_contexts(api.app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue  # the family pages use a cookie, not a bearer token: tests/api/test_family_pages.py
        assert context.path is not None
        path = context.path
        for name in route.param_convertors:
            path = path.replace(f"{{{name}}}", values.get(name, str(uuid.uuid4())))
        actions = _actions(route.dependant)
        action = next(iter(actions)) if actions else None
        for method in sorted((route.methods or set()) - {"HEAD"}):
            for caller, (role, headers) in callers.items():
                if caller == "family" and context.path == "/family/sign-out":
                    headers = await session_for(api, family_code)  # a session of its own to end
                status = (await api.request(method, path, headers=headers, json={})).status_code
                checked += 1
                if context.path in PUBLIC:
                    expected = "not 401/403"
                    ok = status not in (401, 403) or (context.path == "/auth/token" and status == 401)
                elif role is None:
                    expected, ok = "401", status == 401
                elif (
                    action is not None
                    and role in POLICY[action]
                    and (role is not Role.integrator or action in INTEGRATOR_SCOPE)
                ):
                    expected, ok = "allowed", status not in (401, 403)
                else:
                    expected, ok = "403", status == 403
                if not ok:
                    wrong.append(f"{method} {context.path} as {caller}: {status}, expected {expected}")
    assert checked > 250
    assert wrong == []
