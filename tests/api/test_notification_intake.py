"""POST /notifications: validation, scope at intake, duplicates and idempotency, through HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.auth.policy import Role, Scope
from tests.factories import DELETE, notification_body


@pytest.fixture
async def coordinator(world):
    await world.area("15F")
    return await world.staff(Role.coordinator, "15F")


async def test_a_coordinator_records_a_notification(api, coordinator, clock):
    response = await api.post("/notifications", json=notification_body(), headers=coordinator.headers)

    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/notifications/{body['id']}"
    assert body["stage"] == "notified"
    assert body["review_route"] == "leder"
    assert body["closure_reason"] is None
    assert body["age_at_death"] == 54
    assert body["notified_on"] == "2025-03-17"  # today in the UK, by the service's clock
    assert body["received_at"] == "2025-03-17T10:00:00Z"
    assert body["person"]["nhs_number"] == "9434765919"  # spaces normalised away
    assert body["ethnic_group"] == "white"
    assert body["death"]["cause_of_death"]["part_1"][0] == {"text": "Aspiration pneumonia", "icd10": "J69.0"}
    assert body["death"]["dnacpr"] == {"in_place": True, "rationale": "Frailty and recurrent aspiration"}

    fetched = await api.get(response.headers["location"], headers=coordinator.headers)
    assert fetched.status_code == 200
    assert fetched.json() == body


@pytest.mark.parametrize(
    ("changes", "path", "stored"),
    [
        ({"person.nhs_number": "943-476-5919"}, ("person", "nhs_number"), "9434765919"),
        ({"person.nhs_number": "999 000 0050"}, ("person", "nhs_number"), "9990000050"),  # check digit 0
        ({"death.cause_of_death.part_1": [{"text": "Pneumonia", "icd10": "j189"}]}, None, "J18.9"),
    ],
)
async def test_accepted_forms_are_normalised(api, coordinator, changes, path, stored):
    response = await api.post("/notifications", json=notification_body(**changes), headers=coordinator.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    value = body[path[0]][path[1]] if path else body["death"]["cause_of_death"]["part_1"][0]["icd10"]
    assert value == stored


async def test_a_nul_character_is_refused_not_a_server_error(api, coordinator):
    response = await api.post(
        "/notifications", json=notification_body(**{"person.given_name": "Jo\u0000an"}), headers=coordinator.headers
    )
    assert response.status_code in (201, 422)  # SQLite stores it; PostgreSQL cannot and says so
    assert response.headers["content-type"].startswith("application/")


async def test_a_notification_recorded_late_keeps_its_notification_date(api, coordinator):
    response = await api.post(
        "/notifications", json=notification_body(notified_on="2025-03-11"), headers=coordinator.headers
    )
    assert response.status_code == 201
    assert response.json()["notified_on"] == "2025-03-11"


async def test_notified_today_follows_the_uk_calendar_not_utc(api, world, clock):
    await world.area("15F")
    clock.set(datetime(2025, 6, 30, 23, 30, tzinfo=UTC))  # 00:30 on 1 July in London (BST)
    coordinator = await world.staff(Role.coordinator, "15F")
    response = await api.post("/notifications", json=notification_body(), headers=coordinator.headers)
    assert response.json()["notified_on"] == "2025-07-01"


# Each rule with an invalid case: (changes to a valid body, the field the problem must name).
INVALID = [
    ({"person.nhs_number": "943 476 5918"}, "person.nhs_number"),
    ({"person.nhs_number": "9990000140"}, "person.nhs_number"),  # check digit computes to 10
    ({"person.nhs_number": "12345"}, "person.nhs_number"),
    ({"death.date_of_death": "2025-03-18"}, "death.date_of_death"),  # tomorrow
    ({"death.date_of_death": "1970-05-19"}, "death.date_of_death"),  # before birth
    ({"notified_on": "2025-03-18"}, "notified_on"),
    ({"notified_on": "2025-03-09"}, "notified_on"),  # before the death
    ({"person.sex": "unknown"}, "person.sex"),
    ({"person.ethnic_category": "I"}, "person.ethnic_category"),
    ({"person.learning_disability_level": "borderline"}, "person.learning_disability_level"),
    ({"death.place_of_death": "street"}, "death.place_of_death"),
    ({"death.other_processes": ["inquiry"]}, "death.other_processes.0"),
    (
        {"death.cause_of_death.part_1": [{"text": "Sepsis", "icd10": "sepsis"}]},
        "death.cause_of_death.part_1.0.icd10",
    ),
    ({"death.cause_of_death.part_1": []}, "death.cause_of_death.part_1"),
    ({"death.cause_of_death.part_1": [{"text": "x"}] * 5}, "death.cause_of_death.part_1"),
    ({"person.given_name": "x" * 101}, "person.given_name"),
    ({"person.given_name": "   "}, "person.given_name"),
    ({"notifier.contact": "y" * 201}, "notifier.contact"),
    ({"death.dnacpr": {"in_place": False, "rationale": "Down's syndrome"}}, "death.dnacpr"),
    ({"area_ods": "not an area"}, "area_ods"),
    ({"area_ods": "99X"}, "area_ods"),  # well formed, but no such area
    ({"person.favourite_colour": "blue"}, "person.favourite_colour"),  # unknown fields are refused
    ({"stage": "completed"}, "stage"),  # so is trying to set what the service decides
    ({"person.date_of_birth": DELETE}, "person.date_of_birth"),
]


@pytest.mark.parametrize(("changes", "field"), INVALID, ids=[f for _, f in INVALID])
async def test_invalid_notifications_are_refused_naming_the_field(api, coordinator, changes, field):
    response = await api.post("/notifications", json=notification_body(**changes), headers=coordinator.headers)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert problem["type"] == "urn:leder:problem:validation"
    assert field in [error["field"] for error in problem["errors"]]
    # Never echo identifiable input back.
    assert "9434765918" not in response.text and "943 476 5918" not in response.text


async def test_valid_edge_values_are_accepted(api, coordinator):
    body = notification_body(
        **{
            "person.nhs_number": None,  # notifiers do not always know it
            "death.date_of_death": "2025-03-17",  # today
            "notified_on": "2025-03-17",
            "person.given_name": "x" * 100,
            "death.cause_of_death.part_1": [{"text": "Sepsis"}] * 4,
            "death.dnacpr": {"in_place": None},
        }
    )
    response = await api.post("/notifications", json=body, headers=coordinator.headers)
    assert response.status_code == 201, response.text
    assert response.json()["person"]["nhs_number"] is None


@pytest.mark.parametrize(
    ("changes", "stage", "route", "reason"),
    [
        ({"person.date_of_birth": "2022-01-01"}, "excluded", "child_death_review", "under_4"),
        ({"person.date_of_birth": "2015-01-01"}, "notified", "child_death_review", None),
        ({"national_data_opt_out": True}, "excluded", "leder", "national_data_opt_out"),
        ({"death.died_in_england": False}, "excluded", "leder", "died_outside_england"),
        (
            {"person.learning_disability_level": "none"},
            "excluded",
            "leder",
            "no_learning_disability_or_autism",
        ),
        ({"person.learning_disability_level": "none", "person.autism": True}, "notified", "leder", None),
    ],
)
async def test_scope_is_decided_at_intake_and_nothing_is_dropped(api, coordinator, changes, stage, route, reason):
    response = await api.post("/notifications", json=notification_body(**changes), headers=coordinator.headers)

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["stage"], body["review_route"], body["closure_reason"]) == (stage, route, reason)
    listed = await api.get("/notifications", headers=coordinator.headers)
    assert [item["id"] for item in listed.json()["items"]] == [body["id"]]


async def test_a_second_notification_of_the_same_death_is_a_conflict_pointing_at_the_first(api, coordinator):
    first = await api.post("/notifications", json=notification_body(), headers=coordinator.headers)
    # Same person and date, written differently and sent by someone else.
    again = notification_body(**{"person.nhs_number": "9434765919", "notifier.name": "Another Officer"})
    second = await api.post("/notifications", json=again, headers=coordinator.headers)

    assert second.status_code == 409
    assert second.headers["content-type"] == "application/problem+json"
    problem = second.json()
    assert problem["type"] == "urn:leder:problem:duplicate-notification"
    assert problem["existing_notification_id"] == first.json()["id"]
    assert problem["existing_notification"] == first.headers["location"]


async def test_a_duplicate_from_another_area_learns_nothing_about_the_existing_record(api, world, coordinator):
    await world.area("14L")
    manchester = await world.staff(Role.coordinator, "14L")
    assert (await api.post("/notifications", json=notification_body(), headers=coordinator.headers)).status_code == 201
    response = await api.post("/notifications", json=notification_body(area_ods="14L"), headers=manchester.headers)
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "urn:leder:problem:not-accepted-as-new"
    assert problem["title"] == "This notification cannot be accepted as a new one"
    assert "national LeDeR team" in problem["detail"]
    assert set(problem) == {"type", "title", "status", "detail", "request_id"}  # no id, area or date
    assert "notified" not in response.text.lower() and "15F" not in response.text and "2025" not in response.text
    refused = await world.audit_rows(outcome="not_accepted")
    assert [(r.actor, r.action, r.area, r.object_id) for r in refused] == [
        (f"user:{manchester.user.id}", "notification.create", "14L", None)
    ]


async def test_a_batch_duplicate_of_another_areas_record_is_refused_without_naming_it(api, world, coordinator):
    await world.area("14L")
    assert (await api.post("/notifications", json=notification_body(), headers=coordinator.headers)).status_code == 201
    integrator = await world.integrator(api, [Scope.notifications_write], ["14L"])
    answered = await api.post(
        "/notifications/batch", json={"items": [notification_body(area_ods="14L")]}, headers=integrator
    )
    assert answered.status_code == 200, answered.text
    result = answered.json()["results"][0]
    assert (result["status"], result["id"]) == ("refused", None)
    assert "national LeDeR team" in result["detail"]
    assert len(await world.audit_rows(outcome="not_accepted")) == 1


async def test_the_same_person_may_die_only_once_but_unknown_nhs_numbers_do_not_clash(api, coordinator):
    other_date = notification_body(**{"death.date_of_death": "2025-03-11"})
    no_number = notification_body(**{"person.nhs_number": None})
    assert (await api.post("/notifications", json=notification_body(), headers=coordinator.headers)).status_code == 201
    # A different date of death is not the same death (the service does not guess which one is wrong).
    assert (await api.post("/notifications", json=other_date, headers=coordinator.headers)).status_code == 201
    assert (await api.post("/notifications", json=no_number, headers=coordinator.headers)).status_code == 201
    assert (await api.post("/notifications", json=no_number, headers=coordinator.headers)).status_code == 201


async def test_idempotency_key_replays_the_first_response(api, coordinator):
    headers = {**coordinator.headers, "Idempotency-Key": "me-office-2025-0001"}
    first = await api.post("/notifications", json=notification_body(), headers=headers)
    # The same body with keys in another order is the same request.
    reordered = dict(reversed(list(notification_body().items())))
    replay = await api.post("/notifications", json=reordered, headers=headers)

    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["location"] == first.headers["location"]
    assert replay.headers["idempotent-replayed"] == "true"
    listed = await api.get("/notifications", headers=coordinator.headers)
    assert len(listed.json()["items"]) == 1


async def test_idempotency_key_with_a_different_body_is_refused(api, coordinator):
    headers = {**coordinator.headers, "Idempotency-Key": "me-office-2025-0002"}
    await api.post("/notifications", json=notification_body(), headers=headers)
    changed = notification_body(**{"person.nhs_number": "9990000018"})
    response = await api.post("/notifications", json=changed, headers=headers)

    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "field": "Idempotency-Key",
        "location": "header",
        "message": "was already used with a different request body",
    }
    listed = await api.get("/notifications", headers=coordinator.headers)
    assert len(listed.json()["items"]) == 1


async def test_idempotency_keys_belong_to_their_caller(api, world, coordinator):
    colleague = await world.staff(Role.coordinator, "15F")
    key = {"Idempotency-Key": "shared-key"}
    first = await api.post("/notifications", json=notification_body(), headers={**coordinator.headers, **key})
    other = notification_body(**{"person.nhs_number": "9990000018"})
    second = await api.post("/notifications", json=other, headers={**colleague.headers, **key})
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]


async def test_a_refused_write_leaves_nothing_behind(api, coordinator):
    response = await api.post(
        "/notifications",
        json=notification_body(**{"death.date_of_death": "2030-01-01"}),
        headers=coordinator.headers,
    )
    assert response.status_code == 422
    listed = await api.get("/notifications", headers=coordinator.headers)
    assert listed.json()["items"] == []


@pytest.mark.parametrize(
    ("instant", "uk_date"),
    [
        ("2025-01-14T23:59:00", "2025-01-14"),  # winter: the UK is on UTC
        ("2025-01-15T00:00:00", "2025-01-15"),
        ("2025-03-30T00:30:00", "2025-03-30"),  # the spring change (01:00 UTC) has not happened yet
        ("2025-03-30T23:30:00", "2025-03-31"),  # after it: 00:30 BST on the 31st
        ("2025-10-25T23:30:00", "2025-10-26"),  # before the autumn change: 00:30 BST on the 26th
        ("2025-10-26T23:30:00", "2025-10-26"),  # after it: 23:30 GMT, still the 26th
    ],
)
async def test_notified_today_across_uk_midnights_and_clock_changes(api, world, clock, instant, uk_date):
    await world.area("15F")
    clock.set(datetime.fromisoformat(instant).replace(tzinfo=UTC))
    coordinator = await world.staff(Role.coordinator, "15F")
    body = notification_body(**{"death.date_of_death": "2025-01-10"})
    response = await api.post("/notifications", json=body, headers=coordinator.headers)
    assert response.status_code == 201, response.text
    assert response.json()["notified_on"] == uk_date
