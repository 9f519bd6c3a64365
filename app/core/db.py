"""Engine, sessions and the one-transaction-per-request boundary."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.config import Settings

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Execution option for connections that only read (the readiness probe): a deferred BEGIN on SQLite.
READ_ONLY_OPTION = "leder_read_only"


def create_engine(settings: Settings) -> AsyncEngine:
    kwargs: dict[str, Any] = {"hide_parameters": True}  # keep personal data out of error messages and logs
    if not settings.is_sqlite:
        kwargs |= {"pool_size": settings.db_pool_size, "max_overflow": 0, "pool_pre_ping": True}
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
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        deferred = connection.get_execution_options().get(READ_ONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: responses are serialised after the commit.
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's only transaction: committed if the endpoint returns, rolled back if it raises.

    Services add and flush; they never commit. Used with scope="function" so the commit happens
    before the response is sent: a client never sees 201 for a write that did not land.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]
