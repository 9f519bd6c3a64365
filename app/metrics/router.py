"""GET /metrics: Prometheus's text format, for this process. Not case data: counts, ages and routes'
templates only, never ids, names or query strings; so not audited and outside the role policy, with a
token of its own instead (`LEDER_METRICS_TOKEN`)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4
from starlette.exceptions import HTTPException

from app.core.config import Settings
from app.core.errors import problem_response, problem_responses
from app.metrics.service import AppMetrics

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Prometheus's text format."},
        **problem_responses(401, 404),
    },
)
async def read_metrics(request: Request) -> Response:
    """This process's metrics for Prometheus: requests by route template and status, the outbox backlog,
    webhook outcomes, SLA sweeps, database connections (docs/operations.md lists them).

    With `LEDER_METRICS_TOKEN` set, only to `Authorization: Bearer <token>`; without it, served in
    development and answered 404 in production."""
    settings: Settings = request.app.state.settings
    token = settings.metrics_token
    if token is None and settings.is_production:
        raise HTTPException(404)  # as for any path with no route: nothing says metrics exist here
    if token is not None and not _bears(request, token.get_secret_value()):
        return problem_response(
            401,
            title="Authentication required",
            slug="unauthenticated",
            detail="Metrics need the metrics token as a bearer token.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    app_metrics: AppMetrics = request.app.state.metrics
    body = await app_metrics.scrape(request.app.state.clock.now())
    # The classic text format, which every Prometheus version reads (our names are all plain ones).
    return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4)


def _bears(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # compare_digest: the time taken says nothing about how much of the token was right.
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
