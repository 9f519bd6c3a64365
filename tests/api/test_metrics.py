"""GET /metrics through HTTP: requests by route template, the outbox backlog, webhook outcomes, SLA sweeps,
the pool; the token that guards it; and nothing personal in what it shows.

The webhook and sweep counters are the process's (the in-process worker counts into them), so those tests
compare before and after.
"""

from __future__ import annotations

import asyncio
import re
import socket
from datetime import timedelta

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import create_async_engine

from app.auth.policy import Scope
from app.core.config import ConfigurationError
from app.core.db import create_sessionmaker
from app.main import create_app
from app.metrics.process import SLA_SWEEP_SECONDS
from app.metrics.service import worker_registry
from app.worker.runner import Worker
from tests.api.test_webhooks import HOOK, Receiver, register, work
from tests.conftest import make_settings
from tests.workflow import Flow

TOKEN = "metrics-token-0123456789abcdefghijklmnopqrstuv"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


async def scrape(api, headers: dict[str, str] | None = None) -> str:
    response = await api.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return response.text


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text).get((name, frozenset(labels.items())))


async def test_requests_are_counted_by_route_template_and_status_never_by_url(api, world):
    flow = await Flow.start(api, world)
    case = await flow.notify()
    await flow.get(case)
    queried = await api.get(f"/notifications/{case.id}?nhs_number=9434765919", headers=flow.coordinator.headers)
    assert queried.is_success
    assert (await api.get(f"/notifications/{case.id}/no-such-thing")).status_code == 404
    assert (await api.request("BREW", "/health/live")).status_code == 405

    text = await scrape(api)
    route = "/notifications/{notification_id}"
    assert value(text, "leder_http_requests_total", method="GET", route=route, status="200") == 2
    assert value(text, "leder_http_requests_total", method="POST", route="/notifications", status="201") == 1
    assert value(text, "leder_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert value(text, "leder_http_requests_total", method="other", route="/health/live", status="405") == 1
    # The histogram: every bucket, cumulative, ending in +Inf with the count.
    labels = {"method": "GET", "route": route, "status": "200"}
    assert value(text, "leder_http_request_duration_seconds_bucket", **labels, le="+Inf") == 2
    assert value(text, "leder_http_request_duration_seconds_count", **labels) == 2
    assert value(text, "leder_http_request_duration_seconds_bucket", **labels, le="0.005") is not None
    # Nothing of the case: not its id, not the query string, not the NHS number.
    assert case.id not in text and "9434765919" not in text and "no-such-thing" not in text


async def test_labels_hold_only_route_templates_and_fixed_words(api, world):
    flow = await Flow.start(api, world)
    case = await flow.reach("allocated")
    await api.get(f"/reviewers/{flow.reviewer.user.id}", headers=flow.coordinator.headers)
    await api.get("/areas/15F/contact", headers=flow.coordinator.headers)
    await api.get(f"/Joan-Smith/{case.id}")
    templates = {c.path for c in iter_route_contexts(api.app.routes) if isinstance(c.original_route, APIRoute)}

    text = await scrape(api)
    for (name, labels), _ in samples(text).items():
        for label, seen in labels:
            assert not UUID.search(seen) and not re.search(r"\d{10}", seen), f"{name} {label}={seen}"
            if label == "route":
                assert seen in templates | {"unmatched"}, seen
    assert "Joan" not in text and "15F" not in text


async def test_the_backlog_gauges_show_an_event_waiting_and_its_age(api, world, clock):
    flow = await Flow.start(api, world)
    assert value(await scrape(api), "leder_outbox_backlog_events", stage="relay") == 0
    await flow.notify()
    clock.set(clock.now() + timedelta(seconds=90))

    text = await scrape(api)
    assert value(text, "leder_outbox_backlog_up") == 1
    assert value(text, "leder_outbox_backlog_events", stage="relay") == 1
    assert value(text, "leder_outbox_backlog_oldest_seconds", stage="relay") == 90
    assert value(text, "leder_outbox_oldest_undelivered_seconds") == 90
    assert value(text, "leder_outbox_backlog_events", stage="delivery") == 0

    await world.relay()
    text = await scrape(api)
    assert value(text, "leder_outbox_backlog_events", stage="relay") == 0
    assert value(text, "leder_outbox_oldest_undelivered_seconds") == 0


async def test_a_database_that_cannot_answer_costs_the_backlog_not_the_scrape(api):
    broken = create_async_engine("sqlite+aiosqlite:////nonexistent-directory/leder.db")
    api.app.state.metrics.outbox.sessionmaker = create_sessionmaker(broken)
    assert (await api.get("/health/live")).status_code == 200
    text = await scrape(api)
    assert value(text, "leder_outbox_backlog_up") == 0
    assert value(text, "leder_outbox_backlog_events", stage="relay") is None  # absent, not a stale or false 0
    assert value(text, "leder_db_pool_checked_out") == 0
    assert value(text, "leder_http_requests_total", method="GET", route="/health/live", status="200") == 1
    await broken.dispose()


async def test_the_pool_is_reported(api):
    text = await scrape(api)
    size = value(text, "leder_db_pool_size")
    assert size is not None and size > 0
    assert value(text, "leder_db_pool_checked_out") == 0  # the scrape's own read has ended


async def test_webhook_outcomes_and_sla_sweeps_are_counted(api, world, settings, clock):
    settings.webhook_allowed_private_hosts = ["127.0.0.1"]
    flow = await Flow.start(api, world)
    hooks = await world.integrator(api, [Scope.webhooks_manage], ["15F"])
    await register(api, hooks, event_types=["notification.created"])
    await flow.notify()

    def outcomes(text: str) -> dict[str, float]:
        found = {o: value(text, "leder_webhook_deliveries_total", outcome=o) for o in ("delivered", "failed", "dead")}
        return {o: v or 0 for o, v in found.items()}

    before = await scrape(api)
    await work(settings, clock, Receiver(httpx.Response(503)))  # a failed attempt, to be retried
    clock.set(clock.now() + timedelta(hours=2))  # past any backoff
    await work(settings, clock, Receiver())  # delivered
    flow.refresh_tokens()  # two hours on, the first tokens have expired
    await flow.notify("4010232137")
    await work(settings, clock, Receiver(httpx.Response(410)))  # gone: dead-lettered
    after = await scrape(api)

    change = {o: outcomes(after)[o] - outcomes(before)[o] for o in ("delivered", "failed", "dead")}
    assert change == {"delivered": 1, "failed": 1, "dead": 1}
    sweeps = value(after, "leder_sla_sweep_duration_seconds_count")
    assert sweeps is not None and sweeps - (value(before, "leder_sla_sweep_duration_seconds_count") or 0) == 3
    assert value(after, "leder_sla_sweep_duration_seconds_bucket", le="+Inf") == sweeps
    assert HOOK not in after


@pytest.fixture
async def production(settings, clock, tmp_path):
    """A production app: give it overrides (the metrics token) and get a client."""
    made: list = []

    async def make(**overrides: object) -> httpx.AsyncClient:
        values = {"environment": "production", "allow_sqlite_in_production": True, **overrides}
        app = create_app(make_settings(tmp_path, **values), clock)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        made.append((app, client))
        return client

    yield make
    for app, client in made:
        await client.aclose()
        await app.state.engine.dispose()


async def test_production_without_a_token_serves_no_metrics_at_all(production):
    api = await production()
    response = await api.get("/metrics")
    unknown = await api.get("/no-such-path")
    assert response.status_code == unknown.status_code == 404
    assert {**response.json(), "request_id": None} == {**unknown.json(), "request_id": None}
    assert (await api.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).status_code == 404


async def test_with_a_token_only_its_bearer_is_answered(production):
    api = await production(metrics_token=TOKEN)
    refused = await api.get("/metrics")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    assert refused.headers["content-type"] == "application/problem+json"
    for wrong in (f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, "Bearer "):
        assert (await api.get("/metrics", headers={"Authorization": wrong})).status_code == 401, wrong
    text = await scrape(api, {"Authorization": f"Bearer {TOKEN}"})
    assert "leder_http_requests_total" in text and TOKEN not in text


async def test_in_development_a_token_once_set_is_needed_too(settings, clock, tmp_path):
    app = create_app(make_settings(tmp_path, metrics_token="short-is-fine-in-development"), clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as api:
        assert (await api.get("/metrics")).status_code == 401
        await scrape(api, {"Authorization": "Bearer short-is-fine-in-development"})
    await app.state.engine.dispose()


def test_production_refuses_a_guessable_metrics_token(tmp_path):
    for weak in ("changeme", "x" * 31):
        production = {"environment": "production", "allow_sqlite_in_production": True}
        settings = make_settings(tmp_path, **production, metrics_token=weak)
        with pytest.raises(ConfigurationError, match="LEDER_METRICS_TOKEN"):
            settings.check_startable()


def test_the_metrics_token_can_come_from_a_file(tmp_path, monkeypatch):
    (tmp_path / "token").write_text(TOKEN + "\n")
    monkeypatch.setenv("LEDER_METRICS_TOKEN_FILE", str(tmp_path / "token"))
    token = make_settings(tmp_path).metrics_token
    assert token is not None and token.get_secret_value() == TOKEN


async def test_the_workers_registry_has_its_counters_and_pool(settings):
    engine = create_async_engine(settings.async_database_url)
    names = {family.name for family in worker_registry(engine).collect()}
    assert {"leder_webhook_deliveries", "leder_sla_sweep_duration_seconds", "leder_db_pool_size"} <= names
    assert SLA_SWEEP_SECONDS._name in names
    await engine.dispose()


async def test_the_worker_serves_its_metrics_on_its_port_only_when_asked(settings, clock):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.worker_metrics_port = port
    worker = Worker(settings, clock, Receiver().client())
    running = asyncio.create_task(worker.run())
    response = None
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(200):  # until the worker has started its server
                try:
                    response = await client.get(f"http://127.0.0.1:{port}/metrics")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
    finally:
        worker.stop()
        await running
    assert response is not None and response.status_code == 200
    assert "leder_sla_sweep_duration_seconds_count" in response.text
    assert 'leder_webhook_deliveries_total{outcome="delivered"}' in response.text
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):  # stopped with the worker
            await client.get(f"http://127.0.0.1:{port}/metrics")
