"""The database goes away mid-run: the API answers 503 problem+json with Retry-After (never a 500, never
the driver's message), readiness fails, nothing is half-written, and all recovers without a restart."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import Receive, Scope, Send

from app.auth.policy import Role
from app.core import db
from app.core.errors import RETRY_AFTER_SECONDS, database_unavailable
from app.core.middleware import RequestContextMiddleware
from app.main import create_app
from tests.conftest import POSTGRES_URL, make_settings
from tests.factories import notification_body
from tests.workflow import Flow


def assert_unavailable(response: httpx.Response, *secrets: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert response.json()["status"] == 503
    for secret in ("postgres", "sqlite", "psycopg", "OperationalError", "127.0.0.1", *secrets):
        assert secret.lower() not in response.text.lower()


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (OperationalError("SELECT 1", {}, Exception("connection refused")), True),
        (InterfaceError("SELECT 1", {}, Exception("connection already closed")), True),
        (PoolTimeout("QueuePool limit reached"), True),
        (DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True), True),
        (IntegrityError("INSERT", {}, Exception("duplicate key")), False),
        (ProgrammingError("SELECT", {}, Exception("syntax error")), False),
        (ValueError("not the database"), False),
    ],
)
def test_which_errors_mean_the_database_is_unavailable(error, unavailable):
    assert database_unavailable(error) is unavailable


async def test_a_database_error_no_handler_saw_is_a_503_not_a_500():
    async def failing(scope: Scope, receive: Receive, send: Send) -> None:
        raise OperationalError("SELECT 1", {}, Exception('connection to "db.internal" port 5432 failed'))

    app = RequestContextMiddleware(failing, max_body_bytes=1000)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert_unavailable(await client.get("/anything"), "db.internal", "5432")


@pytest.mark.skipif(bool(POSTGRES_URL), reason="a SQLite file that cannot be opened")
async def test_sqlite_that_cannot_be_opened_is_503_until_it_can(api, world, settings, clock, tmp_path):
    await world.area("15F")
    coordinator = await world.staff(Role.coordinator, "15F")
    await api.app.state.engine.dispose()  # all connections closed: the file stands alone
    away = tmp_path / "not-yet"
    application = create_app(make_settings(tmp_path, database_url=f"sqlite:///{away / 'leder.db'}"), clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://t") as client:
        assert_unavailable(await client.get("/health/ready"), "not-yet")
        assert_unavailable(await client.get("/notifications", headers=coordinator.headers), "not-yet")
        created = await client.post("/notifications", json=notification_body(), headers=coordinator.headers)
        assert_unavailable(created, "not-yet")
        assert (await client.get("/health/live")).status_code == 200
        page = await client.post("/for-families/sign-in", data={"code": "ABCD-EFGH"})  # a page, not the API
        assert (page.status_code, page.headers["retry-after"]) == (503, str(RETRY_AFTER_SECONDS))
        assert page.headers["content-type"].startswith("text/html")

        away.mkdir()
        shutil.move(settings.data_dir / "leder.db", away / "leder.db")
        assert (await client.get("/health/ready")).status_code == 200
        listed = await client.get("/notifications", headers=coordinator.headers)
        assert listed.json()["items"] == []  # the refused create left nothing behind
        created = await client.post("/notifications", json=notification_body(), headers=coordinator.headers)
        assert created.status_code == 201, created.text
    await application.state.engine.dispose()


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite's writers take turns; PostgreSQL locks rows")
async def test_a_request_kept_waiting_too_long_for_its_turn_on_sqlite_is_503(api, world, monkeypatch):
    await world.area("15F")
    coordinator = await world.staff(Role.coordinator, "15F")
    monkeypatch.setattr(db, "SQLITE_TURN_TIMEOUT_SECONDS", 0.2)
    async with api.app.state.writer_turns:  # another request's transaction, as far as this one can tell
        assert_unavailable(await api.get("/notifications", headers=coordinator.headers))
    assert (await api.get("/notifications", headers=coordinator.headers)).status_code == 200


class Proxy:
    """A TCP forwarder to PostgreSQL that the test takes away and brings back on the same port, as a
    network failure or a database restart would (the shared PostgreSQL server itself stays up)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.transports: list[asyncio.Transport] = []

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Refuse new connections and cut every open one."""
        assert self.server is not None
        self.server.close()
        for transport in self.transports:
            transport.abort()
        self.transports.clear()
        await self.server.wait_closed()

    async def _forward(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        writers = (client_writer, upstream_writer)
        self.transports += [w.transport for w in writers]  # type: ignore[misc]

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except OSError:
                pass
            finally:
                for each in writers:
                    each.transport.abort()

        await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))


@pytest.fixture
async def proxy() -> AsyncIterator[Proxy]:
    assert POSTGRES_URL
    url = make_url(POSTGRES_URL)
    forwarder = Proxy(url.host or "127.0.0.1", url.port or 5432)
    await forwarder.start()
    yield forwarder
    if forwarder.server is not None and forwarder.server.is_serving():
        await forwarder.stop()


async def _until(condition, seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


@pytest.mark.skipif(not POSTGRES_URL, reason="a PostgreSQL connection cut mid-transaction")
async def test_postgresql_going_away_mid_transaction_is_503_and_recovers_by_itself(api, world, clock, tmp_path, proxy):
    flow = await Flow.start(api, world)
    case = await flow.notify()
    stale_etag = case.etag
    application_name = f"leder-fault-{uuid.uuid4().hex[:8]}"
    assert POSTGRES_URL
    proxied_url = make_url(POSTGRES_URL).set(port=proxy.port, query={"application_name": application_name})
    settings = make_settings(tmp_path, database_url=proxied_url.render_as_string(hide_password=False))
    application = create_app(settings, clock)
    direct = api.app.state.engine
    coordinator = flow.coordinator.headers

    async def sessions(condition: str) -> bool:
        async with direct.connect() as connection:
            query = f"SELECT count(*) FROM pg_stat_activity WHERE application_name = :name AND {condition}"  # noqa: S608
            return bool((await connection.execute(text(query), {"name": application_name})).scalar())

    async def gone() -> bool:
        return not await sessions("true")

    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=15) as client:
        assert (await client.get("/health/ready")).status_code == 200
        assert (await client.get(f"/notifications/{case.id}", headers=coordinator)).status_code == 200

        # The test holds the reviewer's row, so the allocation, having already moved the notification's
        # version on, waits inside its transaction; then the database goes away under it.
        async with direct.connect() as holder:
            await holder.execute(
                text("SELECT id FROM staff_user WHERE id = :id FOR UPDATE"), {"id": flow.reviewer.user.id}
            )
            allocation = asyncio.create_task(
                client.put(
                    f"/notifications/{case.id}/allocation",
                    json={"reviewer_id": str(flow.reviewer.user.id)},
                    headers={**coordinator, "If-Match": stale_etag},
                )
            )
            await _until(lambda: sessions("wait_event_type = 'Lock'"))
            await proxy.stop()
            assert_unavailable(await asyncio.wait_for(allocation, 15), str(proxy.port), application_name)
            await holder.rollback()
        await _until(gone)  # PostgreSQL has ended the cut-off session, rolling back its transaction

        assert_unavailable(await client.get("/health/ready"))
        assert (await client.get("/health/live")).status_code == 200
        assert_unavailable(await client.get("/notifications", headers=coordinator))
        other = notification_body(**{"person.nhs_number": "9990000018"})
        assert_unavailable(await client.post("/notifications", json=other, headers=coordinator))

        # Nothing of either request landed.
        notification = await flow.get(case)
        assert case.etag == stale_etag
        assert notification["reviewer_id"] is None
        assert notification["stage"] == "notified"
        async with direct.connect() as connection:
            history = "SELECT count(*) FROM history_entry WHERE notification_id = :id AND kind = 'allocated'"
            events = "SELECT count(*) FROM outbox_event WHERE notification_id = :id AND type = 'notification.allocated'"
            for query in (history, events):
                assert (await connection.execute(text(query), {"id": uuid.UUID(case.id)})).scalar() == 0
            assert (await connection.execute(text("SELECT count(*) FROM notification"))).scalar() == 1

        # Back again: the same app, not restarted, answers as before, and the retries go through.
        await proxy.start()
        assert (await client.get("/health/ready")).status_code == 200
        retried = await client.put(
            f"/notifications/{case.id}/allocation",
            json={"reviewer_id": str(flow.reviewer.user.id)},
            headers={**coordinator, "If-Match": stale_etag},
        )
        assert retried.status_code == 200, retried.text
        assert (await client.post("/notifications", json=other, headers=coordinator)).status_code == 201
    await application.state.engine.dispose()


@pytest.mark.skipif(not POSTGRES_URL, reason="a PostgreSQL connection cut while idle in the pool")
async def test_connections_cut_while_idle_cost_one_503_then_the_pool_is_renewed(api, world, clock, tmp_path, proxy):
    """No pre-ping on checkout (a round trip per request): a pooled connection that died while the service
    was idle fails on its first use, the request answers 503 with Retry-After, and the pool is renewed."""
    flow = await Flow.start(api, world)
    case = await flow.notify()
    assert POSTGRES_URL
    proxied_url = make_url(POSTGRES_URL).set(port=proxy.port)
    application = create_app(make_settings(tmp_path, database_url=proxied_url.render_as_string(False)), clock)
    coordinator = flow.coordinator.headers
    read = f"/notifications/{case.id}"
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=15) as client:
        # Three connections in the pool, all idle.
        answers = await asyncio.gather(*(client.get(read, headers=coordinator) for _ in range(3)))
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert application.state.engine.pool.checkedin() >= 2

        await proxy.stop()  # cuts every connection, as a database restart would
        await proxy.start()

        assert_unavailable(await client.get(read, headers=coordinator), str(proxy.port))
        for _ in range(3):  # the other pooled connections were discarded with the first: no more 503s
            assert (await client.get(read, headers=coordinator)).status_code == 200
    await application.state.engine.dispose()
