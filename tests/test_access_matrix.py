"""Every route, called by every kind of caller: exactly the status written here by hand.

This table is the second, independent statement of who may do what. It is not worked out from
`app.auth.policy.POLICY`, so a wrong change to the policy (a role gaining or losing an action) fails here
until someone changes both and says why. A 500 can never match.

Callers, in column order:
  none         no token
  coordinator  the coordinator of area 15F, where the case is
  reviewer     the reviewer the case is allocated to
  national     national oversight
  admin        an administrator
  integrator   an integrator client with every scope, for 15F
  family       the family of the case, signed in with their code
  coord_14L    a coordinator of another area
  reviewer_2   a reviewer of 15F the case is not allocated to
  integ_14L    an integrator client with every scope, for another area

Each call sends the same request whoever makes it (an empty JSON body, the case's id, the allocated reviewer's id,
area 15F, delivery 1, a random id for anything else), so an allowed caller may still earn 404, 422 or 428: what matters is
that it differs from the 401/403/404 a refused caller gets. Columns are in the order above.
"""

# ruff: noqa: E501  (the expected table is wider than code)
from __future__ import annotations

import uuid

from fastapi.routing import APIRoute, iter_route_contexts

from app.auth.policy import Role, Scope
from tests.api.test_families import invite, session_for
from tests.workflow import Flow

CALLERS = (
    "none",
    "coordinator",
    "reviewer",
    "national",
    "admin",
    "integrator",
    "family",
    "coord_14L",
    "reviewer_2",
    "integ_14L",
)

# One row per route; columns are CALLERS in order (abbreviated in the header).
EXPECTED_TABLE = """
                                                                                      none  coord  revwr  natnl  admin  integ family  c_14L  rev_2  i_14L
GET /health/live                                                                       200    200    200    200    200    200    200    200    200    200
GET /health/ready                                                                      200    200    200    200    200    200    200    200    200    200
GET /metrics                                                                           200    200    200    200    200    200    200    200    200    200
POST /auth/token                                                                       422    422    422    422    422    422    422    422    422    422
GET /areas                                                                             401    200    200    200    200    200    403    200    200    200
GET /areas/{ods_code}/contact                                                             401    200    403    403    200    403    403    403    403    403
PUT /areas/{ods_code}/contact                                                             401    422    403    403    422    403    403    422    403    403
POST /areas                                                                            401    403    403    403    422    403    403    403    403    403
PATCH /areas/{ods_code}                                                                401    403    403    403    200    403    403    403    403    403
POST /users                                                                            401    403    403    403    422    403    403    403    403    403
GET /users                                                                             401    403    403    403    200    403    403    403    403    403
GET /users/{user_id}                                                                   401    403    403    403    200    403    403    403    403    403
PATCH /users/{user_id}                                                                 401    403    403    403    200    403    403    403    403    403
POST /reviewers                                                                        401    422    403    403    403    403    403    422    403    403
GET /reviewers                                                                         401    200    403    403    403    403    403    200    403    403
GET /reviewers/{user_id}                                                               401    200    403    403    403    403    403    404    403    403
PATCH /reviewers/{user_id}                                                             401    428    403    403    403    403    403    428    403    403
GET /reviewers/{user_id}/workload                                                      401    200    403    403    403    403    403    404    403    403
POST /notifications                                                                    401    422    403    403    403    422    403    422    403    422
POST /notifications/batch                                                              401    422    403    403    403    422    403    422    403    422
GET /notifications                                                                     401    200    200    200    403    200    403    200    200    200
GET /notifications/{notification_id}                                                   401    200    200    200    403    200    403    404    404    404
PUT /notifications/{notification_id}/allocation                                        401    422    403    403    403    403    403    422    403    403
POST /notifications/{notification_id}/transitions                                      401    422    422    403    403    403    403    422    422    403
POST /notifications/{notification_id}/holds                                            401    422    403    403    403    403    403    422    403    403
POST /notifications/{notification_id}/holds/{hold_id}/end                              401    428    403    403    403    403    403    428    403    403
POST /notifications/{notification_id}/focused-review-waiver                            401    422    403    403    403    403    403    422    403    403
POST /notifications/{notification_id}/flags/{flag_id}/dismissal                        401    422    403    403    403    403    403    422    403    403
GET /notifications/{notification_id}/history                                           401    200    200    403    403    403    403    404    404    403
GET /notifications/{notification_id}/sla                                               401    200    200    403    403    403    403    404    404    403
GET /notifications/{notification_id}/findings                                          401    200    200    403    403    403    403    404    404    403
PUT /notifications/{notification_id}/findings                                          401    403    428    403    403    403    403    403    428    403
GET /notifications/{notification_id}/findings/versions                                 401    200    200    403    403    403    403    404    404    403
POST /notifications/{notification_id}/family-invitations                               401    422    403    403    403    403    403    422    403    403
GET /notifications/{notification_id}/family-invitations                                401    200    403    403    403    403    403    404    403    403
POST /notifications/{notification_id}/family-invitations/{invitation_id}/revocation    401    404    403    403    403    403    403    404    403    403
POST /notifications/{notification_id}/family-invitations/{invitation_id}/new-code         401    404    403    403    403    403    403    404    403    403
POST /family/sign-out                                                                     401    403    403    403    403    403    204    403    403    403
POST /family/session                                                                   422    422    422    422    422    422    422    422    422    422
GET /family/review                                                                     401    403    403    403    403    403    200    403    403    403
POST /family/focused-review-request                                                    401    403    403    403    403    403    200    403    403    403
PUT /family/summary-preference                                                         401    403    403    403    403    403    422    403    403    403
GET /family/summary                                                                    401    403    403    403    403    403    404    403    403    403
POST /family/messages                                                                  401    403    403    403    403    403    422    403    403    403
GET /family/messages                                                                   401    403    403    403    403    403    200    403    403    403
GET /notifications/{notification_id}/family-messages                                   401    200    200    403    403    403    403    404    404    403
POST /notifications/{notification_id}/family-messages/{message_id}/acknowledgement     401    404    404    403    403    403    403    404    404    403
GET /family-concerns                                                                   401    200    200    403    403    403    403    200    200    403
PUT /notifications/{notification_id}/family-summary                                    401    422    403    403    403    403    403    422    403    403
GET /notifications/{notification_id}/family-summary                                    401    404    403    403    403    403    403    404    403    403
GET /events                                                                            401    403    403    403    403    200    403    403    403    200
POST /webhooks                                                                         401    403    403    403    403    422    403    403    403    422
GET /webhooks                                                                          401    403    403    403    403    200    403    403    403    200
DELETE /webhooks/{endpoint_id}                                                         401    403    403    403    403    404    403    403    403    404
POST /webhooks/{endpoint_id}/activation                                                401    403    403    403    403    404    403    403    403    404
GET /webhooks/{endpoint_id}/deliveries                                                 401    403    403    403    403    404    403    403    403    404
POST /webhooks/{endpoint_id}/deliveries/{delivery_id}/replay                           401    403    403    403    403    404    403    403    403    404
GET /actions                                                                              401    200    200    403    403    403    403    200    200    403
POST /actions                                                                             401    422    403    403    403    403    403    422    403    403
GET /actions/{action_id}                                                                  401    404    404    403    403    403    403    404    404    403
POST /actions/{action_id}/updates                                                         401    422    403    403    403    403    403    422    403    403
GET /areas/{ods_code}/themes                                                              401    200    403    200    200    403    403    404    403    403
GET /audit                                                                             401    200    403    403    200    403    403    200    403    403
GET /reports/dashboard                                                                 401    200    403    200    200    403    403    200    403    403
GET /reports/areas/{ods_code}/annual                                                   401    200    403    200    200    403    403    404    403    403
GET /reports/areas/{ods_code}/annual.html                                              401    200    403    200    200    403    403    404    403    403
GET /reports/areas/{ods_code}/annual.csv                                               401    200    403    200    200    403    403    404    403    403
PUT /areas/{ods_code}/population                                                       401    403    403    403    415    403    403    403    403    403
GET /areas/{ods_code}/population                                                       401    403    403    403    200    403    403    403    403    403
"""
EXPECTED: dict[str, str] = {
    " ".join(line.split()[:2]): " ".join(line.split()[2:]) for line in EXPECTED_TABLE.strip().splitlines()[1:]
}

# Queries that let an allowed caller through to a 200 on the reports.
QUERIES: dict[str, dict[str, str]] = {
    "/reports/dashboard": {"period": "2025-Q1"},
    "/reports/areas/{ods_code}/annual": {"year": "2025"},
    "/reports/areas/{ods_code}/annual.html": {"year": "2025"},
    "/reports/areas/{ods_code}/annual.csv": {"year": "2025"},
    "/areas/{ods_code}/themes": {"from": "2025-01", "to": "2025-03"},
}


async def test_every_route_answers_every_caller_exactly_as_written(api, world):
    flow = await Flow.start(api, world)
    case = await flow.reach("allocated")
    headers: dict[str, dict[str, str]] = {
        "none": {},
        "coordinator": flow.coordinator.headers,
        "reviewer": flow.reviewer.headers,
        "national": (await world.staff(Role.national)).headers,
        "admin": (await world.staff(Role.admin)).headers,
        "integrator": await world.integrator(api, list(Scope), ["15F"]),
        "family": await session_for(api, (await invite(api, flow, case))["code"]),
        "coord_14L": (await world.staff(Role.coordinator, "14L")).headers,
        "reviewer_2": (await flow.register_reviewer("Second Reviewer")).headers,
        "integ_14L": await world.integrator(api, list(Scope), ["14L"]),
    }
    assert tuple(headers) == CALLERS
    values = {"notification_id": case.id, "user_id": str(flow.reviewer.user.id), "ods_code": "15F", "delivery_id": "1"}
    served: dict[str, str] = {}
    for context in iter_route_contexts(api.app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue  # the family pages use a cookie, not a bearer token: tests/api/test_family_pages.py
        assert context.path is not None
        path = context.path
        for name in route.param_convertors:
            path = path.replace(f"{{{name}}}", values.get(name, str(uuid.uuid4())))
        for method in sorted((route.methods or set()) - {"HEAD"}):
            statuses = []
            for caller in CALLERS:
                sent = headers[caller]
                if caller == "family" and context.path == "/family/sign-out":  # a session of its own to end
                    sent = await session_for(api, (await invite(api, flow, case))["code"])
                response = await api.request(method, path, headers=sent, json={}, params=QUERIES.get(context.path))
                statuses.append(str(response.status_code))
            served[f"{method} {context.path}"] = " ".join(statuses)
    missing = sorted(set(served) - set(EXPECTED))
    assert missing == [], "write the expected statuses of these new routes into EXPECTED"
    assert sorted(set(EXPECTED) - set(served)) == []
    wrong = {
        route: f"expected {EXPECTED[route]}, got {statuses}"
        for route, statuses in served.items()
        if statuses != EXPECTED[route]
    }
    assert wrong == {}, f"columns: {' '.join(CALLERS)}"


# An integrator client granted exactly one scope, on every route an integrator may call at all. The notifications:
# dates/identity/clinical/review scopes open no route: they only widen what notifications:read shows.
SCOPE_TABLE = """
                                                       notifications:write notifications:read events:read webhooks:manage  actions:read notifications:dates notifications:identity notifications:clinical notifications:review
GET /areas                                                             200                200         200             200           200                 200                    200                    200                  200
POST /notifications                                                    422                403         403             403           403                 403                    403                    403                  403
POST /notifications/batch                                              422                403         403             403           403                 403                    403                    403                  403
GET /notifications                                                     403                200         403             403           403                 403                    403                    403                  403
GET /notifications/{notification_id}                                   403                200         403             403           403                 403                    403                    403                  403
GET /events                                                            403                403         200             403           403                 403                    403                    403                  403
POST /webhooks                                                         403                403         403             422           403                 403                    403                    403                  403
GET /webhooks                                                          403                403         403             200           403                 403                    403                    403                  403
DELETE /webhooks/{endpoint_id}                                         403                403         403             404           403                 403                    403                    403                  403
POST /webhooks/{endpoint_id}/activation                                403                403         403             404           403                 403                    403                    403                  403
GET /webhooks/{endpoint_id}/deliveries                                 403                403         403             404           403                 403                    403                    403                  403
POST /webhooks/{endpoint_id}/deliveries/{delivery_id}/replay           403                403         403             404           403                 403                    403                    403                  403
"""


async def test_an_integrator_reaches_exactly_what_each_scope_names(api, world):
    flow = await Flow.start(api, world)
    case = await flow.notify()
    header, *rows = [line.split() for line in SCOPE_TABLE.strip().splitlines()]
    assert sorted(header) == sorted(scope.value for scope in Scope), "a new scope needs its column"
    clients = {scope: await world.integrator(api, [Scope(scope)], ["15F"]) for scope in header}
    values = {"{notification_id}": case.id, "{endpoint_id}": str(uuid.uuid4()), "{delivery_id}": "1"}
    wrong = []
    for method, template, *expected in rows:
        path = template
        for name, value in values.items():
            path = path.replace(name, value)
        got = [str((await api.request(method, path, headers=clients[s], json={})).status_code) for s in header]
        if got != expected:
            wrong.append(f"{method} {template}: expected {' '.join(expected)}, got {' '.join(got)}")
    assert wrong == []
