"""Engine, sessions and the one-transaction-per-request boundary."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from sqlalchemy import event, text
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.config import Settings

SQLITE_BUSY_TIMEOUT_MS = 10_000
# How long a request waits for its turn to write to SQLite before answering 503 (as a PostgreSQL pool times out).
SQLITE_TURN_TIMEOUT_SECONDS = 30
# Without a connect timeout, a database host that drops packets holds each request for the operating
# system's TCP timeout (minutes); with one, the request fails soon and answers 503 with Retry-After.
POSTGRES_CONNECT_TIMEOUT_SECONDS = 5
# Execution option for connections that only read (the readiness probe): a deferred BEGIN on SQLite.
READ_ONLY_OPTION = "leder_read_only"


def json_loads(text: str | bytes) -> Any:
    """JSON columns as they are read: orjson, several times faster than the standard library (a list of 50
    decodes some 250 values). A value orjson refuses (NaN, which json.dumps writes) falls back to json."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def create_engine(settings: Settings) -> AsyncEngine:
    kwargs: dict[str, Any] = {
        "hide_parameters": True,  # keep personal data out of error messages and logs
        "json_deserializer": json_loads,
    }
    if not settings.is_sqlite:
        # No pool_pre_ping: it costs every request a round trip. Connections that died while the database
        # was away fail on their first use instead; SQLAlchemy then discards every pooled connection as old
        # as that one, so the service recovers by itself, at the price of a 503 (with Retry-After) to the
        # one request that found out.
        kwargs |= {
            "pool_size": settings.db_pool_size,
            "max_overflow": 0,
            "connect_args": {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS},
        }
    engine = create_async_engine(settings.async_database_url, **kwargs)
    if settings.is_sqlite:
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL with NORMAL sync, enforced foreign keys, and every transaction `BEGIN IMMEDIATE`.

    A request that reads then writes in a deferred transaction can fail with "database is locked" when
    another writer commits in between; taking the write lock up front makes writers queue instead.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook below issue BEGIN itself
        cursor = dbapi_connection.cursor()
        # busy_timeout first: switching a new file to WAL needs a lock another process may hold.
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        deferred = connection.get_execution_options().get(READ_ONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def writer_turns(settings: Settings) -> asyncio.Lock | None:
    """A process's request transactions on SQLite, one at a time in arrival order; None for PostgreSQL.

    Every request transaction on SQLite writes (`BEGIN IMMEDIATE`; even reads are audited), and SQLite's
    busy handler is sleep-and-retry, not a queue: with a dozen requests waiting, an unlucky one can lose
    every retry until busy_timeout and fail with "database is locked" while later ones go through. Taking
    turns here, one request per process contends for SQLite's lock (with the worker and other processes),
    and each waits as long as the queue ahead of it, no longer.
    """
    return asyncio.Lock() if settings.is_sqlite else None


@asynccontextmanager
async def writer_turn(turns: asyncio.Lock | None) -> AsyncIterator[None]:
    """This process's turn to write to SQLite (see `writer_turns`); no wait on PostgreSQL."""
    if turns is None:
        yield
        return
    try:
        async with asyncio.timeout(SQLITE_TURN_TIMEOUT_SECONDS):
            await turns.acquire()
    except TimeoutError:
        raise PoolTimeout("Timed out waiting for a turn to write to SQLite.") from None  # answered 503
    try:
        yield
    finally:
        turns.release()


# Session.info key of a set shared by every session of one sessionmaker (one app): facts that never stop being
# true once seen, such as an area existing (areas are never deleted), so a request need not look them up again.
PROCESS_FACTS = "leder_process_facts"


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: responses are serialised after the commit. Each session's info is a new dict
    # updated from this one, so the set inside is the same object for all of them.
    facts: set[tuple[str, str]] = set()
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False, info={PROCESS_FACTS: facts})


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's only transaction: committed if the endpoint returns, rolled back if it raises.

    Services add and flush; they never commit. Used with scope="function" so the commit happens
    before the response is sent: a client never sees 201 for a write that did not land.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with writer_turn(request.app.state.writer_turns), sessionmaker() as session:
        try:
            yield session
            before_commit = getattr(request.app.state, "before_commit", None)
            if before_commit is not None:
                await before_commit(request, session)  # the read's audit row (app.audit.service.audit_read)
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]


async def one_at_a_time(session: AsyncSession, key: str) -> None:
    """Transactions naming the same key take turns until they end, so that a count-then-write (a limit per
    owner, a rate limit) cannot be read "under the limit" by a parallel burst.

    PostgreSQL: a transaction-scoped advisory lock on the key. SQLite: every write transaction already holds
    the database's write lock (BEGIN IMMEDIATE), so there is nothing more to take.
    """
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
