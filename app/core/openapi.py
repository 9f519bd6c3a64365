"""The OpenAPI document, made to say what the service does on the wire.

FastAPI's generator cannot see what middleware and handlers add, so this pass over its output states
it once for every operation: the request id on every answer, problems only as problem+json (422
included, instead of FastAPI's HTTPValidationError), `Retry-After` on 429 and 503, `If-Match` required
where its absence is 428, the OAuth2 client-credentials flow (with the scope it needs) beside plain
bearer tokens on the operations integrators may call, and the
headers that particular handlers set (`SENT_HEADERS`, checked against the routes by a test).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from app.auth.policy import INTEGRATOR_SCOPE, POLICY, Action, Role, Scope
from app.core.errors import PROBLEM_MEDIA_TYPE

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "This request's id: the caller's own `X-Request-ID` if well-formed, else the service's. "
        "Quote it when reporting a problem.",
        "schema": {"type": "string", "maxLength": 64},
    },
    "ETag": {"description": "The resource's version, for `If-Match` on the next change.", "schema": {"type": "string"}},
    "Location": {"description": "Where the created resource is read.", "schema": {"type": "string"}},
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}},
}

# Headers that particular handlers set on their success answer, by operation id.
SENT_HEADERS: dict[str, tuple[str, ...]] = {
    "create_notification": ("Location", "ETag", "Idempotent-Replayed"),
    "create_notifications_batch": ("Idempotent-Replayed",),
    "get_notification": ("ETag",),
    "allocate_notification": ("ETag",),
    "transition_notification": ("ETag",),
    "place_hold": ("ETag",),
    "end_hold": ("ETag",),
    "waive_focused_review": ("ETag",),
    "dismiss_flag": ("ETag",),
    "get_findings": ("ETag",),
    "save_findings": ("ETag",),
    "register_reviewer": ("ETag",),
    "get_reviewer": ("ETag",),
    "update_reviewer": ("ETag",),
    "get_area_contact": ("ETag",),
    "put_area_contact": ("ETag",),
    "create_action": ("ETag",),
    "get_action": ("ETag",),
    "add_action_update": ("ETag",),
}

BEARER = "HTTPBearer"
CLIENT_CREDENTIALS = "OAuth2ClientCredentials"
_CLIENT_CREDENTIALS_SCHEME = {
    "type": "oauth2",
    "description": "Integrator clients: exchange a client id and secret at `POST /auth/token` for a bearer token. "
    "The scopes granted to the client (each for named areas) limit what it may call.",
    "flows": {
        "clientCredentials": {
            "tokenUrl": "/auth/token",
            "scopes": {scope.value: f"The `{scope.value}` grant." for scope in Scope},
        }
    },
}


def install_openapi(app: FastAPI) -> None:
    """Replace `app.openapi` with the generated document passed through `truthful`, built once."""

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = truthful(generate(), client_scopes(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def client_scopes(app: FastAPI) -> dict[str, list[str]]:
    """Operation id -> the scopes an integrator's client-credentials token needs, for the operations
    whose action the policy table allows integrators (an empty list: no scope needed)."""
    scopes: dict[str, list[str]] = {}
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute):
            continue
        for action in _actions(context.original_route.dependant):
            if Role.integrator in POLICY[action]:
                scope = INTEGRATOR_SCOPE.get(action)
                scopes[context.original_route.name] = [scope.value] if scope else []
    return scopes


def _actions(dependant: Dependant) -> set[Action]:
    found: set[Action] = set()
    for dependency in dependant.dependencies:
        action = getattr(dependency.call, "leder_action", None)
        if action is not None:
            found.add(action)
        found |= _actions(dependency)
    return found


def truthful(spec: dict[str, Any], client_scopes: dict[str, list[str]]) -> dict[str, Any]:
    components = spec.setdefault("components", {})
    components.setdefault("securitySchemes", {})[CLIENT_CREDENTIALS] = _CLIENT_CREDENTIALS_SCHEME
    components["headers"] = HEADERS
    for operation in operations(spec):
        _state_operation(operation, client_scopes.get(operation["operationId"]))
    schemas = components.get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return spec


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for item in spec.get("paths", {}).values() for op in item.values() if isinstance(op, dict)]


def _header(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def _state_operation(operation: dict[str, Any], client_scopes: list[str] | None) -> None:
    responses: dict[str, dict[str, Any]] = operation["responses"]
    if "428" in responses:
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "header" and parameter["name"] == "If-Match":
                parameter["required"] = True
                parameter["schema"] = {"type": "string", "maxLength": 200}
    if client_scopes is not None and operation.get("security") == [{BEARER: []}]:
        # Integrators' tokens come from the client-credentials flow; staff and families hold bearer tokens.
        operation["security"] = [{BEARER: []}, {CLIENT_CREDENTIALS: client_scopes}]
    sent = SENT_HEADERS.get(operation["operationId"], ())
    for status, response in responses.items():
        headers = response.setdefault("headers", {})
        headers["X-Request-ID"] = _header("X-Request-ID")
        if status.startswith("2"):
            headers.update({name: _header(name) for name in sent})
        if status in ("429", "503"):
            headers["Retry-After"] = _header("Retry-After")
        if status.startswith(("4", "5")):
            response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}
            if status == "422":
                response["description"] = "The request is not valid: `errors` names each field and what is wrong."
