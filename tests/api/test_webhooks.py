"""Webhooks in-process: registration rules, Standard Webhooks signatures, retries, 410, dead letters."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.auth.policy import Scope
from app.core.clock import SystemClock
from app.worker.runner import Worker
from tests.workflow import Flow

HOOK = "http://127.0.0.1:9/hook"  # never connected to: the tests' receivers are httpx mock transports


@pytest.fixture
async def flow(api, world, settings):
    settings.webhook_allowed_private_hosts = ["127.0.0.1"]
    settings.webhook_backoff_base_seconds = 1.0
    return await Flow.start(api, world)


@pytest.fixture
async def integrator(api, world, flow):
    return await world.integrator(api, [Scope.webhooks_manage], ["15F"])


async def register(api, headers, **body):
    response = await api.post("/webhooks", json={"url": HOOK, **body}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


class Receiver:
    """Answers each delivery with the next of `answers` (the last one repeats), and keeps the requests."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers) or [httpx.Response(204)]
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))


async def work(settings, clock, receiver: Receiver) -> None:
    async with receiver.client() as http:
        await Worker(settings, clock, http).run(once=True)


async def deliveries(api, headers, endpoint, **params):
    response = await api.get(f"/webhooks/{endpoint['id']}/deliveries", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_deliveries_are_signed_the_standard_webhooks_way(api, flow, integrator, settings):
    endpoint = await register(api, integrator, event_types=["notification.created"])
    assert endpoint["secret"].startswith("whsec_")
    case = await flow.notify()
    receiver = Receiver()
    await work(settings, SystemClock(), receiver)  # the real clock: receivers check timestamps against theirs

    [request] = receiver.requests
    body = request.content.decode()
    verified = Webhook(endpoint["secret"]).verify(body, dict(request.headers))
    assert verified["type"] == "notification.created"
    assert verified["data"]["notification_id"] == case.id
    assert "9434765919" not in body and "Joan" not in body
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(body.replace("15F", "14L"), dict(request.headers))
    stale = {**request.headers, "webhook-timestamp": str(int(request.headers["webhook-timestamp"]) - 3600)}
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(body, stale)
    [delivery] = await deliveries(api, integrator, endpoint)
    assert (delivery["status"], delivery["attempts"], delivery["event_type"]) == (
        "delivered",
        1,
        "notification.created",
    )
    assert (await api.get("/webhooks", headers=integrator)).json()[0].keys() == {
        "id",
        "url",
        "event_types",
        "areas",
        "active",
        "disabled_reason",
        "created_at",
    }  # fmt: skip  (never the secret again)


async def test_a_receiver_that_fails_five_times_then_succeeds_gets_the_event(api, flow, integrator, settings, clock):
    endpoint = await register(api, integrator, event_types=["notification.created"])
    await flow.notify()
    receiver = Receiver(*[httpx.Response(500)] * 4, httpx.ConnectError("refused"), httpx.Response(200))
    for attempt in range(1, 7):
        await work(settings, clock, receiver)
        assert len(receiver.requests) == attempt  # one attempt per round, once its backoff has passed
        clock.set(clock.now() + timedelta(seconds=settings.webhook_backoff_base_seconds * 2**attempt))
    [delivery] = await deliveries(api, integrator, endpoint)
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 6)
    assert {r.headers["webhook-id"] for r in receiver.requests} == {delivery["event_id"]}  # the same id each time


async def test_retry_after_is_honoured_and_timeouts_count_as_failures(api, flow, integrator, settings, clock):
    endpoint = await register(api, integrator, event_types=["notification.created"])
    await flow.notify()
    await work(settings, clock, Receiver(httpx.Response(503, headers={"Retry-After": "120"})))
    [waiting] = await deliveries(api, integrator, endpoint)
    assert waiting["last_error"] == "HTTP 503"
    assert waiting["next_attempt_at"] == (clock.now() + timedelta(seconds=120)).isoformat().replace("+00:00", "Z")
    clock.set(clock.now() + timedelta(seconds=121))
    await work(settings, clock, Receiver(httpx.ReadTimeout("slow")))
    [timed_out] = await deliveries(api, integrator, endpoint)
    assert (timed_out["status"], timed_out["attempts"], timed_out["last_error"]) == ("pending", 2, "timed out")


async def test_a_410_switches_the_endpoint_off(api, flow, integrator, settings, clock):
    endpoint = await register(api, integrator)
    await flow.notify()
    receiver = Receiver(httpx.Response(410))
    await work(settings, clock, receiver)
    [listed] = (await api.get("/webhooks", headers=integrator)).json()
    assert (listed["active"], listed["disabled_reason"]) == (False, "the receiver answered 410 Gone")
    assert {d["status"] for d in await deliveries(api, integrator, endpoint)} == {"dead"}
    sent = len(receiver.requests)
    await flow.notify("9990000018")
    await work(settings, clock, receiver)
    assert len(receiver.requests) == sent  # nothing more goes to it


async def test_dead_letters_are_listed_and_can_be_replayed(api, flow, integrator, settings, clock):
    settings.webhook_max_attempts = 2
    endpoint = await register(api, integrator, event_types=["notification.created"])
    await flow.notify()
    for _ in range(2):
        await work(settings, clock, Receiver(httpx.Response(500)))
        clock.set(clock.now() + timedelta(minutes=5))
    [dead] = await deliveries(api, integrator, endpoint, status="dead")
    assert dead["attempts"] == 2
    replayed = await api.post(f"/webhooks/{endpoint['id']}/deliveries/{dead['id']}/replay", headers=integrator)
    assert replayed.status_code == 202
    await work(settings, clock, Receiver(httpx.Response(200)))
    assert [d["status"] for d in await deliveries(api, integrator, endpoint)] == ["delivered"]


async def test_endpoints_hear_only_their_areas_and_types(api, world, flow, settings, clock):
    both = await world.integrator(api, [Scope.webhooks_manage], ["15F", "14L"])
    manchester_only = await register(api, both, areas=["14L"])
    created_only = await register(api, both, event_types=["notification.created"])
    await flow.reach("allocated")
    await work(settings, clock, Receiver())
    assert await deliveries(api, both, manchester_only) == []
    assert [d["event_type"] for d in await deliveries(api, both, created_only)] == ["notification.created"]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://dashboard.example.nhs.uk/hook", "https"),
        ("https://10.1.2.3/hook", "private"),
        ("https://127.0.0.1/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "private"),
        ("https://[::1]/hook", "private"),
        ("https://user:secret@example.org/hook", "credentials"),
        ("https://no-such-host.invalid/hook", "resolved"),
        ("https://[64:ff9b::7f00:1]/hook", "private"),  # NAT64 for 127.0.0.1
        ("https://[::ffff:10.0.0.1]/hook", "private"),  # IPv4-mapped
        ("https://[::a9fe:a9fe]/hook", "private"),  # IPv4-compatible 169.254.169.254
        ("https://[::10.0.0.1]/hook", "private"),
        ("https://[::ffff:0:a9fe:a9fe]/hook", "private"),  # SIIT IPv4-translated
        ("https://[64:ff9b:1::a9fe:a9fe]/hook", "private"),  # local-use NAT64
        ("https://[2002:a9fe:a9fe::1]/hook", "private"),  # 6to4 of 169.254.169.254
        ("https://224.0.0.1/hook", "private"),  # multicast
        ("https://[ff02::1]/hook", "private"),
        ("https://0.0.0.0/hook", "private"),
        ("https://240.0.0.1/hook", "private"),  # reserved
        ("https://8.8.8.8:22/hook", "port"),
        ("https://[::1/hook", "not valid"),
        ("https://8.8.8.8/a\x01b", "control character"),
    ],
)
async def test_webhook_urls_into_our_own_network_are_refused(api, flow, integrator, settings, url, reason):
    settings.webhook_allowed_private_hosts = []
    response = await api.post("/webhooks", json={"url": url}, headers=integrator)
    assert response.status_code == 422, response.text
    assert reason in response.json()["errors"][0]["message"]


async def test_only_the_owner_sees_or_changes_an_endpoint(api, world, flow, integrator):
    endpoint = await register(api, integrator)
    other = await world.integrator(api, [Scope.webhooks_manage], ["15F"])
    assert (await api.get(f"/webhooks/{endpoint['id']}/deliveries", headers=other)).status_code == 404
    assert (await api.delete(f"/webhooks/{endpoint['id']}", headers=other)).status_code == 404
    assert (await api.get("/webhooks", headers=other)).json() == []
    outside = await api.post("/webhooks", json={"url": HOOK, "areas": ["14L"]}, headers=integrator)
    assert outside.status_code == 422
    no_scope = await world.integrator(api, [Scope.events_read], ["15F"])
    assert (await api.get("/webhooks", headers=no_scope)).status_code == 403
    assert (await api.get("/webhooks", headers=flow.coordinator.headers)).status_code == 403
    assert (await api.delete(f"/webhooks/{endpoint['id']}", headers=integrator)).status_code == 204
    assert json.loads((await api.get("/webhooks", headers=integrator)).text)[0]["active"] is False


async def test_whatever_a_receiver_answers_the_worker_goes_on(api, flow, integrator, settings, clock):
    endpoint = await register(api, integrator, event_types=["notification.created"])
    await flow.notify()
    odd: list[httpx.Response | Exception] = [
        httpx.Response(503, headers=[(b"Retry-After", b"\xb2")]),  # not even text
        httpx.Response(503, headers={"Retry-After": "Fri, 31 Dec 9999 23:59:59 -2359"}),
        ValueError("something no one expected"),
        httpx.Response(204),
    ]
    receiver = Receiver(*odd)
    for _ in odd:
        await work(settings, clock, receiver)
        clock.set(clock.now() + timedelta(minutes=10))
    [delivery] = await deliveries(api, integrator, endpoint)
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 4)


async def test_a_switched_off_endpoint_gets_nothing_more_not_even_retries(api, flow, integrator, settings, clock):
    endpoint = await register(api, integrator, event_types=["notification.created"])
    await flow.notify()
    await work(settings, clock, Receiver(httpx.Response(500)))  # a retry is now pending
    assert (await api.delete(f"/webhooks/{endpoint['id']}", headers=integrator)).status_code == 204
    clock.set(clock.now() + timedelta(minutes=10))
    receiver = Receiver()
    await work(settings, clock, receiver)
    assert receiver.requests == []
    [dead] = await deliveries(api, integrator, endpoint)
    assert (dead["status"], dead["last_error"]) == ("dead", "the endpoint was switched off")
    replay = await api.post(f"/webhooks/{endpoint['id']}/deliveries/{dead['id']}/replay", headers=integrator)
    assert replay.status_code == 409  # switch it on first
    huge = await api.post(f"/webhooks/{endpoint['id']}/deliveries/{2**70}/replay", headers=integrator)
    assert huge.status_code == 422


async def test_a_client_that_loses_the_scope_hears_nothing_more(api, world, flow, integrator, settings, clock):
    from sqlalchemy import update

    from app.auth.models import IntegratorClient

    await register(api, integrator, event_types=["notification.created"])
    async with world.session() as session:
        await session.exec(update(IntegratorClient).values(scopes=["events:read"]))
        await session.commit()
    await flow.notify()
    receiver = Receiver()
    await work(settings, clock, receiver)
    assert receiver.requests == []
    async with world.session() as session:
        from sqlmodel import select

        from app.webhooks.models import WebhookDelivery

        assert (await session.exec(select(WebhookDelivery))).all() == []
