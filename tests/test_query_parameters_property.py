"""Property: no query string makes any GET route answer 5xx (issue 14, item 11).

For every GET route in the served OpenAPI document, Hypothesis builds query strings from each parameter's
schema and well beyond it (dates from year 1 to 9999 with any zone, huge and negative numbers, any text
including control characters, values outside every enum), and a caller the route lets in sends them.
Under CI the examples are derandomised (tests/conftest.py), so a failure there is reproducible.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.auth.policy import Role, Scope
from tests.api.test_families import invite, session_for
from tests.workflow import Flow

ZONES = st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-14))])
EDGE_MOMENTS = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1900-01-01T00:00:00Z", "1e309"]
MOMENTS = st.sampled_from(EDGE_MOMENTS) | st.builds(
    lambda moment, zone: moment.replace(tzinfo=zone).isoformat(),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
    ZONES,
)
EDGE_DAY_VALUES = ["0001-01-01", "9999-12-31", "1899-12-31", "1900-01-01", "2025-02-29", "2024-02-29"]
EDGE_DAYS = st.sampled_from(EDGE_DAY_VALUES)
EDGE_TEXT = ["", "\x00", "-1", "99999999999999999999999", "1e309", "NaN", "0000-01", "9999-12", "0001-01-01"]
ANY_TEXT = st.text(max_size=300) | st.sampled_from(["", " ", "\x00", "%00", "null", "-1", "1e309", "NaN"])


def _values(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    kinds = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    strategies: list[st.SearchStrategy[str]] = [ANY_TEXT]
    for kind in kinds:
        if "pattern" in kind:  # values the pattern lets through, to reach the handler
            strategies.append(st.from_regex(kind["pattern"], fullmatch=True))
        if "enum" in kind:
            strategies.append(st.sampled_from([str(v) for v in kind["enum"]]))
        if kind.get("format") == "date":
            strategies.append(EDGE_DAYS | st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}"))
        if kind.get("format") == "date-time":
            strategies.append(MOMENTS)
        if kind.get("format") == "uuid":
            strategies.append(st.uuids().map(str))
        if kind.get("type") == "integer":
            strategies.append(st.integers(min_value=-(2**70), max_value=2**70).map(str))
        if kind.get("type") == "boolean":
            strategies.append(st.sampled_from(["true", "false", "1", "0", "yes", "maybe"]))
    return st.one_of(*strategies)


def _edges(parameters: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Each parameter at the values that broke things before, alone and with every required parameter given the
    same value (so that a missing one's 422 does not stop the request short): run every time, not left to chance."""
    found = []
    query = [p for p in parameters if p["in"] == "query"]
    required = [p["name"] for p in query if p.get("required")]
    for parameter in query:
        schema = parameter.get("schema", {})
        formats = {s.get("format") for s in schema.get("anyOf", [schema])}
        edges = (
            EDGE_TEXT
            + (EDGE_DAY_VALUES if "date" in formats else [])
            + (EDGE_MOMENTS if "date-time" in formats else [])
        )
        found += [{parameter["name"]: value} for value in edges]
        found += [{name: value for name in {parameter["name"], *required}} for value in edges]
    return found


def _queries(parameters: list[dict[str, Any]]) -> st.SearchStrategy[dict[str, str]]:
    """One parameter at a time (so that no other one's 422 hides it), and any mix of them."""
    values = {p["name"]: _values(p.get("schema", {})) for p in parameters if p["in"] == "query"}
    one = [st.fixed_dictionaries({name: strategy}) for name, strategy in values.items()]
    return st.one_of(*one, st.fixed_dictionaries({}, optional=values))


async def test_no_query_string_makes_a_get_route_fail(api, world):
    flow = await Flow.start(api, world)
    case = await flow.reach("allocated")
    callers = [
        flow.coordinator.headers,
        (await world.staff(Role.national)).headers,
        (await world.staff(Role.admin)).headers,
        await world.integrator(api, list(Scope), ["15F"]),
        flow.reviewer.headers,
        await session_for(api, (await invite(api, flow, case))["code"]),
    ]
    values = {"notification_id": case.id, "user_id": str(flow.reviewer.user.id), "ods_code": "15F"}
    routes = []
    for template, operations in api.app.openapi()["paths"].items():
        get = operations.get("get")
        if not get or not any(p["in"] == "query" for p in get.get("parameters", [])):
            continue
        path = template
        for name in [p["name"] for p in get.get("parameters", []) if p["in"] == "path"]:
            path = path.replace(f"{{{name}}}", values.get(name, str(uuid.uuid4())))
        headers = None
        for candidate in callers:
            if (await api.get(path, headers=candidate)).status_code not in (401, 403):
                headers = candidate
                break
        assert headers is not None, f"no caller may use GET {template}"
        routes.append((template, path, headers, _queries(get["parameters"]), _edges(get["parameters"])))
    assert len(routes) >= 8

    loop = asyncio.get_running_loop()
    failures: list[str] = []

    def check_every_route() -> None:
        for template, path, headers, queries, edges in routes:
            try:
                _no_server_error(api, loop, template, path, headers, queries, edges)()
            except Exception as failure:  # an assertion, or the app's own exception when it answers 500
                failures.append(f"GET {template}: {type(failure).__name__}: {str(failure).splitlines()[0]}")

    await asyncio.to_thread(check_every_route)  # Hypothesis runs synchronously; the app keeps this loop
    assert failures == []


def _no_server_error(api, loop, template, path, headers, queries, edges) -> Callable[[], None]:
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(query=queries)
    def property_(query: dict[str, str]) -> None:
        request = api.get(path, params=query, headers=headers)
        status = asyncio.run_coroutine_threadsafe(request, loop).result(timeout=30).status_code
        assert status < 500, f"GET {template} with {query!r}: {status}"

    for edge in edges:
        property_ = example(query=edge)(property_)
    return property_
