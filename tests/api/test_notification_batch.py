"""POST /notifications/batch: each item on its own, valid ones stored whatever the others do."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from app.auth.policy import Scope
from app.notifications.batch import BATCH_MAX_ITEMS
from app.notifications.models import Notification
from tests.factories import DELETE, notification_body
from tests.workflow import Flow

NUMBERS = ["9990000018", "9990000026", "9990000034", "9990000042"]


@pytest.fixture
async def flow(api, world):
    return await Flow.start(api, world)


@pytest.fixture
async def integrator(api, world, flow):
    return await world.integrator(api, [Scope.notifications_write, Scope.notifications_read], ["15F"])


async def count_notifications(world) -> int:
    async with world.session() as session:
        return (await session.exec(select(func.count()).select_from(Notification))).one()


async def test_each_item_gets_its_own_result_and_valid_ones_are_stored(api, world, integrator):
    existing = await api.post("/notifications", json=notification_body(), headers=integrator)
    items = [
        notification_body(**{"person.nhs_number": NUMBERS[0]}),
        notification_body(**{"person.nhs_number": "1234567890"}),  # bad check digit
        notification_body(),  # the death already notified
        notification_body(area_ods="14L", **{"person.nhs_number": NUMBERS[1]}),  # not this client's area
        notification_body(**{"person.nhs_number": NUMBERS[2], "person.given_name": DELETE}),
        notification_body(**{"person.nhs_number": NUMBERS[3]}),
    ]
    response = await api.post("/notifications/batch", json={"items": items}, headers=integrator)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["status"] for r in body["results"]] == [
        "created", "invalid", "duplicate", "refused", "invalid", "created",
    ]  # fmt: skip
    assert [r["index"] for r in body["results"]] == list(range(6))
    assert (body["created"], body["duplicates"], body["failed"]) == (2, 1, 3)
    assert body["results"][2]["id"] == existing.json()["id"]
    assert body["results"][1]["errors"][0]["field"] == "person.nhs_number"
    assert body["results"][4]["errors"][0]["field"] == "person.given_name"
    # Our own rule's words, as a sentence: not pydantic's "Value error, " before them.
    assert body["results"][1]["errors"][0]["message"] == "the NHS number's check digit is wrong"
    assert "Value error" not in response.text
    assert "1234567890" not in response.text  # errors never echo what was sent
    for created in (body["results"][0], body["results"][5]):
        assert (await api.get(f"/notifications/{created['id']}", headers=integrator)).status_code == 200
    assert await count_notifications(world) == 3


async def test_a_retry_with_the_same_key_replays_the_answer_and_stores_nothing_twice(api, world, integrator):
    items = [notification_body(**{"person.nhs_number": None})]  # nothing else would catch a repeat
    headers = {**integrator, "Idempotency-Key": "batch-2025-03-17-001"}
    first = await api.post("/notifications/batch", json={"items": items}, headers=headers)
    again = await api.post("/notifications/batch", json={"items": items}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert await count_notifications(world) == 1
    other = await api.post("/notifications/batch", json={"items": items * 2}, headers=headers)
    assert other.status_code == 422  # the same key with another body


async def test_the_batch_is_bounded_and_shaped(api, integrator):
    too_many = {"items": [notification_body()] * (BATCH_MAX_ITEMS + 1)}
    assert (await api.post("/notifications/batch", json=too_many, headers=integrator)).status_code in (413, 422)
    assert (await api.post("/notifications/batch", json={"items": []}, headers=integrator)).status_code == 422
    assert (await api.post("/notifications/batch", json={"items": [1, "x"]}, headers=integrator)).status_code == 422
    assert (await api.post("/notifications/batch", json=[notification_body()], headers=integrator)).status_code == 422


async def test_only_writers_may_send_a_batch(api, world, flow):
    reader = await world.integrator(api, [Scope.notifications_read], ["15F"])
    body = {"items": [notification_body()]}
    assert (await api.post("/notifications/batch", json=body, headers=reader)).status_code == 403
    assert (await api.post("/notifications/batch", json=body, headers=flow.reviewer.headers)).status_code == 403
    assert (await api.post("/notifications/batch", json=body)).status_code == 401
    assert await count_notifications(world) == 0


async def test_a_rule_broken_in_a_single_notification_reads_as_plain_words(api, integrator):
    response = await api.post(
        "/notifications", json=notification_body(**{"person.nhs_number": "1234567890"}), headers=integrator
    )
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == [
        {"field": "person.nhs_number", "location": "body", "message": "the NHS number's check digit is wrong"}
    ]
    assert "Value error" not in response.text
