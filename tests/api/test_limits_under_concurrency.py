"""Per-owner limits hold when the requests arrive together (issue 14, item 13): PostgreSQL runs them side by
side; SQLite takes writers one at a time, so there the test shows the limit in the plain case."""

from __future__ import annotations

import asyncio

from sqlmodel import func, select

from app.auth.policy import Scope
from app.webhooks.models import WebhookEndpoint
from app.webhooks.service import MAX_ENDPOINTS_PER_CLIENT
from tests.workflow import Flow


async def test_thirty_parallel_registrations_leave_at_most_twenty_endpoints(api, world, settings):
    settings.webhook_allowed_private_hosts = ["127.0.0.1"]
    await Flow.start(api, world)
    integrator = await world.integrator(api, [Scope.webhooks_manage], ["15F"])

    async def register(n: int) -> int:
        response = await api.post("/webhooks", json={"url": f"http://127.0.0.1:9/hook{n}"}, headers=integrator)
        return response.status_code

    answers = await asyncio.gather(*(register(n) for n in range(30)))
    assert sorted(answers) == [201] * MAX_ENDPOINTS_PER_CLIENT + [409] * (30 - MAX_ENDPOINTS_PER_CLIENT)
    async with world.session() as session:
        assert (await session.exec(select(func.count()).select_from(WebhookEndpoint))).one() == 20


async def test_parallel_allocations_do_not_take_a_reviewer_past_their_maximum(api, world):
    flow = await Flow.start(api, world)
    reviewer = await flow.register_reviewer("Busy Reviewer", max_active_reviews=3)
    numbers = ["9434765919", "9990000018", "9990000026", "9990000034", "4010232137", "9990000042"]
    cases = [await flow.notify(number) for number in numbers]
    answers = await asyncio.gather(*(flow.allocate(case, reviewer) for case in cases))
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 409, 409, 409]
    workload = await api.get(f"/reviewers/{reviewer.user.id}/workload", headers=flow.coordinator.headers)
    assert len(workload.json()["reviews"]) == 3
