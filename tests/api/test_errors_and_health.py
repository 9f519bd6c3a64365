"""Problem details for every error, request ids, safe headers, and the health endpoints."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import text

from app.auth.policy import Role
from app.main import create_app
from tests.conftest import make_settings
from tests.factories import notification_body


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["title"]
    assert problem["request_id"] == response.headers["x-request-id"]
    return problem


async def test_unknown_route_is_a_404_problem(api):
    assert_problem(await api.get("/no-such-thing"), 404)


async def test_wrong_method_is_a_405_problem(api):
    response = await api.delete("/notifications")
    assert_problem(response, 405)
    assert response.headers["allow"]


async def test_malformed_json_is_a_422_problem(api, world):
    await world.area("15F")
    coordinator = await world.staff(Role.coordinator, "15F")
    response = await api.post(
        "/notifications",
        content=b'{"area_ods": "15F",',
        headers={**coordinator.headers, "Content-Type": "application/json"},
    )
    assert_problem(response, 422)


async def test_a_body_over_the_limit_is_a_413_problem(api, world):
    await world.area("15F")
    coordinator = await world.staff(Role.coordinator, "15F")
    big = {"area_ods": "15F", "padding": "x" * 1_000_001}
    assert_problem(await api.post("/notifications", json=big, headers=coordinator.headers), 413)


async def test_a_streamed_body_over_the_limit_is_a_413_problem(api, world):
    await world.area("15F")
    coordinator = await world.staff(Role.coordinator, "15F")

    async def chunks():
        for _ in range(20):
            yield b"x" * 100_000

    response = await api.post(
        "/notifications",
        content=chunks(),
        headers={**coordinator.headers, "Content-Type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)


async def test_an_unexpected_error_is_a_500_problem_without_details(settings, clock, caplog):
    application = create_app(settings, clock)

    @application.get("/boom")
    async def boom() -> None:
        raise RuntimeError("patient 9434765919 Joan Example")

    caplog.set_level(logging.INFO)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://t") as client:
        response = await client.get("/boom")
    await application.state.engine.dispose()

    problem = assert_problem(response, 500)
    assert "9434765919" not in response.text and "Joan" not in response.text
    assert "request id" in problem["detail"]
    logged = "\n".join(record.getMessage() + repr(record.__dict__) for record in caplog.records)
    assert "RuntimeError" in logged
    assert "9434765919" not in logged and "Joan" not in logged


async def test_personal_data_never_reaches_the_logs(api, world, caplog):
    caplog.set_level(logging.DEBUG)
    await world.area("15F")
    coordinator = await world.staff(Role.coordinator, "15F")
    await api.post("/notifications", json=notification_body(), headers=coordinator.headers)
    await api.post("/notifications", json=notification_body(), headers=coordinator.headers)  # duplicate
    await api.post(
        "/notifications",
        json=notification_body(**{"person.nhs_number": "9434765918"}),
        headers=coordinator.headers,
    )
    logged = "\n".join(record.getMessage() + repr(record.__dict__) for record in caplog.records)
    assert "request" in logged
    for value in ("9434765919", "9434765918", "Joan", "Example", "1970-05-20", "Sam Officer"):
        assert value not in logged


async def test_a_well_formed_request_id_is_kept_and_any_other_replaced(api):
    kept = await api.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert kept.headers["x-request-id"] == "abc-123"
    denied = await api.get("/notifications", headers={"X-Request-ID": "trace:9.1_x"})
    assert denied.status_code == 401
    assert denied.headers["x-request-id"] == denied.json()["request_id"] == "trace:9.1_x"
    for bad in ("a" * 65, "two words", "<script>", "-leading-dash", "a/b", "x;y"):
        response = await api.get("/health/live", headers={"X-Request-ID": bad})
        assert response.headers["x-request-id"] != bad
        assert len(response.headers["x-request-id"]) == 32
    first, second = await api.get("/health/live"), await api.get("/health/live")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_every_response_carries_safe_headers(api):
    response = await api.get("/health/live")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


async def test_live_and_ready(api):
    assert (await api.get("/health/live")).json() == {"status": "ok"}
    assert (await api.get("/health/ready")).json() == {"status": "ok"}


async def test_not_ready_when_the_schema_is_not_at_head(api, world):
    async def set_version(version: str) -> None:
        async with world.session() as session:
            statement = text("UPDATE alembic_version SET version_num = :v").bindparams(v=version)
            await session.exec(statement)
            await session.commit()

    head = api.app.state.migration_head
    await set_version("older")
    try:
        assert_problem(await api.get("/health/ready"), 503)
    finally:
        await set_version(head)  # PostgreSQL's test database outlives this test
    assert (await api.get("/health/ready")).status_code == 200


async def test_not_ready_when_the_database_is_unreachable(tmp_path, clock):
    unreachable = make_settings(tmp_path, database_url="postgresql+psycopg://postgres@127.0.0.1:1/none")
    application = create_app(unreachable, clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://t") as client:
        response = await client.get("/health/ready")
        live = await client.get("/health/live")
    await application.state.engine.dispose()
    assert_problem(response, 503)
    assert response.headers["retry-after"] == "5"
    assert live.status_code == 200


@pytest.mark.parametrize("path", ["/docs", "/openapi.json"])
async def test_interactive_docs_are_served(api, path):
    assert (await api.get(path)).status_code == 200


async def test_a_body_that_is_not_even_text_is_a_422_problem(api, world):
    from app.auth.policy import Role

    admin = await world.staff(Role.admin)
    response = await api.post(
        "/areas", content=b"\xff\xfe\x00\x81 not json", headers={**admin.headers, "content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [{"field": "body", "location": "body", "message": "is not valid JSON"}]


async def test_the_api_docs_fetch_nothing_from_elsewhere(api):
    docs = await api.get("/docs")
    assert docs.status_code == 200
    assert "cdn." not in docs.text and "https://" not in docs.text
    assert "/static-offline-docs/swagger-ui-bundle.js" in docs.text
    script = await api.get("/static-offline-docs/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert (await api.get("/redoc")).status_code == 200


async def test_the_api_docs_can_be_switched_off(settings):
    import httpx

    from app.main import create_app

    app = create_app(settings.model_copy(update={"api_docs": False}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        assert (await client.get("/docs")).status_code == 404
        assert (await client.get("/redoc")).status_code == 404
        assert (await client.get("/openapi.json")).status_code == 404  # the contract is in openapi/openapi.json
    await app.state.engine.dispose()


async def test_a_date_sent_as_a_number_is_refused_as_the_spec_says(api, world):
    from app.auth.policy import Role
    from tests.factories import notification_body

    await world.area("15F")
    coordinator = await world.staff(Role.coordinator, "15F")
    body = notification_body(**{"death.date_of_death": 1741564800})
    response = await api.post("/notifications", json=body, headers=coordinator.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "death.date_of_death"


async def test_numbers_and_strings_are_not_read_as_booleans_or_integers(api, world):
    # pydantic's lax mode would take 0 for false and "2" for 2; the spec says boolean and integer.
    from app.auth.policy import Role
    from tests.factories import notification_body

    await world.area("15F")
    coordinator = await world.staff(Role.coordinator, "15F")
    for field, value in (("person.autism", 0), ("national_data_opt_out", "false"), ("person.lived_alone", 1)):
        body = notification_body(**{field: value})
        response = await api.post("/notifications", json=body, headers=coordinator.headers)
        assert response.status_code == 422, field
        assert response.json()["errors"][0]["field"] == field

    reviewer = {"name": "R", "email": "r@example.org", "max_active_reviews": "5"}
    response = await api.post("/reviewers", json=reviewer, headers=coordinator.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "max_active_reviews"
