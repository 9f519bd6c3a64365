"""Deny by default: every route states the action it performs, and the policy table says who may."""

from __future__ import annotations

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from app.auth.policy import INTEGRATOR_SCOPE, POLICY, Action, Role
from app.main import create_app

PUBLIC = {
    "/health/live",
    "/health/ready",
    "/metrics",  # a token of its own (LEDER_METRICS_TOKEN), not a role's; tests/api/test_metrics.py
    "/auth/token",
    "/family/session",
    # The family pages' own front door: the code form, signing in and out, the stylesheet.
    "/for-families",
    "/for-families/sign-in",
    "/for-families/sign-out",
    "/for-families/style.css",
    # The interactive API docs (served from installed files; LEDER_API_DOCS=false removes them).
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
}


def _actions(dependant: Dependant) -> set[Action]:
    found = set()
    for dep in dependant.dependencies:
        action = getattr(dep.call, "leder_action", None)
        if action is not None:
            found.add(action)
        found |= _actions(dep)
    return found


def test_every_route_declares_one_action_in_the_policy_table(settings):
    # Included routers are resolved lazily in FastAPI; iter_route_contexts gives their effective paths.
    routes = [c for c in iter_route_contexts(create_app(settings).routes) if isinstance(c.original_route, APIRoute)]
    assert len(routes) > len(PUBLIC)
    for route in routes:
        actions = _actions(route.dependant)
        if route.path in PUBLIC:
            assert actions == set(), f"{route.path} is public and should not look protected"
            continue
        assert len(actions) == 1, f"{route.methods} {route.path} must declare exactly one action"
        assert actions <= set(POLICY), f"{route.path}: {actions} has no row in POLICY"


def test_every_action_names_who_may_do_it():
    assert set(POLICY) == set(Action)
    assert all(POLICY[action] for action in Action)


def test_every_integrator_action_names_its_scope_or_says_none():
    # allow() refuses integrators an action missing here: this keeps the two tables in step.
    assert set(INTEGRATOR_SCOPE) == {action for action in Action if Role.integrator in POLICY[action]}
