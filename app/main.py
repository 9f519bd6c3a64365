"""The application factory: settings in, a wired FastAPI app out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline

from app.actions.router import router as actions_router
from app.actions.router import themes_router
from app.areas.router import router as areas_router
from app.audit.router import router as audit_router
from app.audit.service import audit_read, record_denial
from app.auth.callers import CallerCache
from app.auth.router import router as auth_router
from app.auth.tokens import TokenService
from app.core.clock import Clock, SystemClock
from app.core.config import Settings
from app.core.cursors import CursorCodec
from app.core.db import create_engine, create_sessionmaker, writer_turns
from app.core.errors import install_problem_handlers, unavailable_responses
from app.core.logging import configure_logging
from app.core.middleware import RequestContextMiddleware
from app.core.migrations import head_revision
from app.core.openapi import install_openapi
from app.events.relay import RelayTask
from app.events.router import router as events_router
from app.families.pages import router as family_pages_router
from app.families.router import concerns_router, family_router, messages_router, staff_router, summary_router
from app.families.web import render_problem
from app.findings.router import router as findings_router
from app.health.router import router as health_router
from app.metrics.router import router as metrics_router
from app.metrics.service import AppMetrics
from app.notifications.router import router as notifications_router
from app.reports.router import population_router
from app.reports.router import router as reports_router
from app.reviewers.router import router as reviewers_router
from app.reviews.router import router as reviews_router
from app.users.router import router as users_router
from app.webhooks.router import router as webhooks_router

DESCRIPTION = """
Case management for LeDeR reviews: the mortality reviews of people with a learning disability and
autistic people in England. Deaths are notified, allocated to a reviewer, reviewed in stages and
signed off within six months of notification.

Every endpoint needs a bearer token except `/health/*`, `/auth/token` and `/family/session`
(`/metrics` takes a token of its own). Errors are RFC 9457 `application/problem+json`; quote the
`request_id` when reporting one. Bereaved families use the web pages at `/for-families` (not part
of this API).
"""


def _operation_id(route: APIRoute) -> str:
    # The function name: `create_notification`, not `create_notification_notifications_post`.
    return route.name


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    settings.check_startable()  # refuse to build an app on unsafe defaults (ConfigurationError)
    configure_logging(settings.log_level)
    engine = create_engine(settings)
    sessionmaker = create_sessionmaker(engine)
    turns = writer_turns(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        relay = None
        if settings.relays_in_api:
            poll = settings.worker_poll_seconds
            relay = RelayTask(sessionmaker, settings.sync_database_url, poll, turns)
            relay.start()
        yield
        if relay is not None:
            await relay.stop()
        await engine.dispose()

    details: dict[str, Any] = {
        "title": "LeDeR case management",
        "version": "0.1.0",
        "description": DESCRIPTION,
        "generate_unique_id_function": _operation_id,
        "lifespan": lifespan,
    }
    # FastAPI's own docs pages load Swagger UI from a CDN; these serve the same from a PyPI package.
    app = (
        FastAPIOffline(**details)
        if settings.serves_api_docs
        else FastAPI(docs_url=None, redoc_url=None, openapi_url=None, **details)
    )
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.state.engine = engine
    app.state.sessionmaker = sessionmaker
    app.state.writer_turns = turns
    app.state.tokens = TokenService(settings, app.state.clock)
    app.state.callers = CallerCache(settings.caller_cache_seconds)
    app.state.cursors = CursorCodec(settings.verification_keys)
    app.state.migration_head = head_revision(settings)
    app.state.metrics = AppMetrics(engine, sessionmaker)

    install_problem_handlers(app, on_denied=record_denial, render_page=render_problem)
    app.state.before_commit = audit_read
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        clock=app.state.clock,
        observe=app.state.metrics.http.observe,
    )
    routers = (
        health_router,
        metrics_router,
        auth_router,
        areas_router,
        users_router,
        reviewers_router,
        notifications_router,
        reviews_router,
        findings_router,
        staff_router,
        family_router,
        messages_router,
        concerns_router,
        summary_router,
        family_pages_router,
        events_router,
        webhooks_router,
        actions_router,
        themes_router,
        audit_router,
        reports_router,
        population_router,
    )
    for router in routers:
        # Every route but the health checks and metrics (which answer without the database) may answer 503.
        own = router in (health_router, metrics_router)
        app.include_router(router, responses=None if own else unavailable_responses())
    install_openapi(app)
    return app
