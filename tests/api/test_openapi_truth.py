"""The OpenAPI document says what the service does, checked over every operation of the served spec
(not route by route), and the headers it declares are the ones the service sends."""

from __future__ import annotations

import itertools
import json
import re
import uuid
from typing import Any

import pytest

from app.auth.policy import Role, Scope
from app.core.openapi import CLIENT_CREDENTIALS, SENT_HEADERS
from app.main import create_app
from tests.factories import notification_body

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


@pytest.fixture
def spec(settings) -> dict[str, Any]:
    return create_app(settings).openapi()


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]


def _header_names(response: dict[str, Any]) -> set[str]:
    return set(response.get("headers", {}))


def test_every_response_declares_the_request_id_and_every_problem_is_problem_json(spec):
    assert "HTTPValidationError" not in json.dumps(spec)
    for path, method, op in _operations(spec):
        for status, response in op["responses"].items():
            where = f"{method.upper()} {path} {status}"
            assert "X-Request-ID" in _header_names(response), where
            if status[0] in "45":
                assert response["content"] == PROBLEM, where
            if status in ("429", "503"):
                assert "Retry-After" in _header_names(response), where
    headers = spec["components"]["headers"]
    assert set(headers) >= {"X-Request-ID", "ETag", "Location", "Idempotent-Replayed", "Retry-After"}


def test_if_match_is_required_exactly_where_its_absence_is_428(spec):
    conditional = 0
    for path, method, op in _operations(spec):
        if_match = [p for p in op.get("parameters", []) if p["in"] == "header" and p["name"] == "If-Match"]
        where = f"{method.upper()} {path}"
        if "428" in op["responses"]:
            conditional += 1
            assert [p["required"] for p in if_match] == [True], where
            # A conditional write answers with the new version to send next time.
            successes = [r for s, r in op["responses"].items() if s.startswith("2")]
            assert all("ETag" in _header_names(r) for r in successes), where
        else:
            assert not if_match, where
    assert conditional >= 8


def test_bearer_and_client_credentials_schemes_and_the_token_url_exists(spec):
    schemes = spec["components"]["securitySchemes"]
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    flow = schemes[CLIENT_CREDENTIALS]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/auth/token" and "post" in spec["paths"]["/auth/token"]
    assert set(flow["scopes"]) == {scope.value for scope in Scope}
    offered: dict[str, list[str]] = {}
    for path, method, op in _operations(spec):
        security = op.get("security")
        if security is None:
            continue  # the open ones: health, the token endpoint, the family code exchange
        assert security[0] == {"HTTPBearer": []}, f"{method.upper()} {path}"
        for alternative in security[1:]:
            offered[op["operationId"]] = alternative[CLIENT_CREDENTIALS]
    # Offered exactly where the policy table lets integrators act, with the scope it requires.
    assert offered["create_notification"] == ["notifications:write"]
    assert offered["read_events"] == ["events:read"]
    assert offered["register_webhook"] == ["webhooks:manage"]
    assert "create_user" not in offered and "get_family_review" not in offered
    assert all(scopes in ([], *[[s.value] for s in Scope]) for scopes in offered.values())


# Creates whose answer is the record as this caller may read it: a coordinator's full record, or an integrator's
# view by its scopes (a replay of an idempotent create comes back later, when the record may hold more).
CALLER_SHAPED_CREATES = {("post", "/notifications")}


def test_creates_have_one_success_status_and_one_media_type(spec):
    creates = 0
    for path, method, op in _operations(spec):
        successes = {s: r for s, r in op["responses"].items() if s.startswith("2")}
        if "201" in successes:
            creates += 1
            assert list(successes) == ["201"], f"{method.upper()} {path}"
            [(_, media)] = successes["201"]["content"].items()
            if (method, path) in CALLER_SHAPED_CREATES:
                assert all("$ref" in option for option in media["schema"]["anyOf"]), f"{method.upper()} {path}"
            else:
                assert "$ref" in media["schema"], f"{method.upper()} {path}: one schema, not a choice"
    assert creates >= 6


def test_path_parameters_are_named_alike_for_the_same_thing_everywhere(spec):
    names_after: dict[str, set[str]] = {}
    for path, method, op in _operations(spec):
        segments = path.strip("/").split("/")
        in_path = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        templated = {s[1:-1] for s in segments if s.startswith("{")}
        assert in_path == templated, f"{method.upper()} {path}"
        for before, segment in itertools.pairwise(segments):
            if segment.startswith("{"):
                assert re.fullmatch(r"[a-z]+(_[a-z]+)*", segment[1:-1]), path
                names_after.setdefault(before, set()).add(segment[1:-1])
    inconsistent = {collection: names for collection, names in names_after.items() if len(names) > 1}
    assert not inconsistent
    assert names_after["notifications"] == {"notification_id"}


def test_every_operation_with_declared_headers_exists(spec):
    ids = {op["operationId"] for _, _, op in _operations(spec)}
    assert set(SENT_HEADERS) <= ids


async def test_declared_headers_are_sent(api, world):
    """The headers the spec declares for a create, a read and a conditional write are on the wire."""
    await world.area("15F")
    coordinator = await world.staff(Role.coordinator, "15F")
    headers = {**coordinator.headers, "Idempotency-Key": "k-1"}
    created = await api.post("/notifications", json=notification_body(), headers=headers)
    assert created.status_code == 201
    assert {"location", "etag", "x-request-id"} <= set(created.headers)
    replayed = await api.post("/notifications", json=notification_body(), headers=headers)
    assert replayed.headers["idempotent-replayed"] == "true"
    read = await api.get(created.headers["location"], headers=coordinator.headers)
    assert read.headers["etag"] == created.headers["etag"]
    body = {"reviewer_id": str(uuid.uuid4())}
    missing = await api.put(f"{created.headers['location']}/allocation", json=body, headers=coordinator.headers)
    assert missing.status_code == 428
    assert missing.headers["content-type"] == "application/problem+json"
