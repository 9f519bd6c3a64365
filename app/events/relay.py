"""The relay: gives each committed event its place (`position`) in the change feed.

Why not order events as they are written: a writer cannot know its commit order. On PostgreSQL a
transaction can take id 5, another id 6 and commit first; a reader that had already passed 6 would
never see 5. The feed used to wait until no transaction older than an event's was still running
(`pg_snapshot_xmin`), but any open transaction on the cluster, however unrelated (a `psql` session,
a report, a backup, another database's work), then stopped every integrator until it ended.

So events are written in the business transaction without a position, and the relay places them
afterwards: one short transaction at a time numbers every committed event it can see that has no
position yet, after the last position given, in id order (within a transaction, the order it wrote
them; across transactions, an event written after reading another's committed change has the higher
id). Relay transactions take turns (a transaction-level advisory lock on PostgreSQL; SQLite has one
writer at a time anyway) and read the last position only once they hold the turn, so positions only
ever grow, and each relay commit becomes visible after the one before it. A reader's snapshot thus
sees every position up to the highest it sees: no gaps, no repeats, across any number of processes.
An event of a transaction still open is invisible to the relay, and is placed once it commits. The
relay never waits for other transactions: it reads and writes only rows already committed.

Who relays: `leder worker`, woken by PostgreSQL's LISTEN/NOTIFY (a statement trigger on outbox_event
notifies `leder_outbox` as each writing transaction commits) and otherwise every
`LEDER_WORKER_POLL_SECONDS`; and, with `LEDER_FEED_RELAY_IN_API` (the development default), each API
process too, so the embedded single-process setup has a feed without a worker. Any number may run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import psycopg
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.db import READ_ONLY_OPTION, writer_turn
from app.events.models import OutboxEvent

log = logging.getLogger("leder.relay")

# The relay's advisory lock: a bigint beyond int4, so it never meets the `hashtext()` keys used elsewhere.
RELAY_LOCK = 0x6C65_6465_725F_6665  # "leder_fe"
WAKE_CHANNEL = "leder_outbox"  # notified by the trigger the migration puts on outbox_event
RELAY_BATCH = 1000
RECONNECT_SECONDS = 5.0


async def has_unplaced(sessionmaker: async_sessionmaker[AsyncSession]) -> bool:
    """Whether any committed event waits for a position: a read, so an idle relay never queues for the lock."""
    async with sessionmaker() as session:
        connection = await session.connection(execution_options={READ_ONLY_OPTION: True})
        waiting = select(col(OutboxEvent.id)).where(col(OutboxEvent.position).is_(None)).limit(1)
        return (await connection.execute(waiting)).first() is not None


async def place_events(
    sessionmaker: async_sessionmaker[AsyncSession], limit: int = RELAY_BATCH, turns: asyncio.Lock | None = None
) -> int:
    """Give up to `limit` committed events without a position the next positions; returns how many.

    `turns`: the API process's queue for SQLite's write lock (app/core/db.py), so the relay waits
    its turn behind requests instead of contending with them.
    """
    if not await has_unplaced(sessionmaker):
        return 0
    async with writer_turn(turns), sessionmaker() as session:
        connection = await session.connection()
        if connection.dialect.name == "postgresql":
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RELAY_LOCK})
        # Read after taking the lock (a new statement, so a new snapshot): the last relay's commit is in it.
        position = col(OutboxEvent.position)
        last = (await connection.execute(select(func.coalesce(func.max(position), 0)))).scalar_one()
        waiting = select(col(OutboxEvent.id)).where(position.is_(None)).order_by(col(OutboxEvent.id)).limit(limit)
        next_ids = waiting.subquery("waiting")
        numbered = select(
            next_ids.c.id, (func.row_number().over(order_by=next_ids.c.id) + last).label("position")
        ).subquery("numbered")
        placed = await connection.execute(
            update(OutboxEvent).where(col(OutboxEvent.id) == numbered.c.id).values(position=numbered.c.position)
        )
        await session.commit()
        return int(placed.rowcount)


async def place_all(
    sessionmaker: async_sessionmaker[AsyncSession],
    turns: asyncio.Lock | None = None,
    keep_going: Callable[[], bool] = lambda: True,
    batch: int = RELAY_BATCH,
) -> int:
    """Place every event committed so far, a batch per transaction; returns how many."""
    total = 0
    while keep_going():
        placed = await place_events(sessionmaker, batch, turns)
        total += placed
        if placed < batch:
            break
    return total


def listen_url(database_url: str) -> str | None:
    """The libpq URL to LISTEN on, for a PostgreSQL database; None otherwise."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class Wakeup:
    """Set when events may be waiting: on PostgreSQL at once, by NOTIFY on a connection of its own.

    Without it (SQLite; or while that connection is lost, which is logged and retried) whoever waits
    still looks every poll interval, so a lost notification delays the feed, never stalls it.
    """

    def __init__(self, database_url: str) -> None:
        self._url = listen_url(database_url)
        self._event = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._url is not None and self._task is None:
            self._task = asyncio.create_task(self._listen(self._url), name="leder-relay-listen")

    def set(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    async def wait(self, seconds: float) -> None:
        """Until set, or `seconds` at most (the poll)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._event.wait()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _listen(self, url: str) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=5) as conn:
                    await conn.execute(f"LISTEN {WAKE_CHANNEL}")
                    self._event.set()  # events may have committed while nobody listened
                    async for _ in conn.notifies():
                        self._event.set()
            except psycopg.Error as exc:
                log.warning("relay wake-up connection lost; polling meanwhile", extra={"error": type(exc).__name__})
                await asyncio.sleep(RECONNECT_SECONDS)


class RelayTask:
    """The relay as a background task: a round as soon as woken, or every `poll_seconds`.

    In `leder worker`, `then` follows each round (the webhook fan-out); in an API process
    (`LEDER_FEED_RELAY_IN_API`) there is nothing to follow. A round that fails (the database away for a
    while) is logged and tried again next time: the task never dies of it.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        database_url: str,
        poll_seconds: float,
        turns: asyncio.Lock | None = None,
        then: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.poll_seconds = poll_seconds
        self.turns = turns
        self.then = then
        self.wakeup = Wakeup(database_url)
        self.stopping = False
        self.failing = False  # logged once when rounds start failing, once when they work again
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.wakeup.start()
        self._task = asyncio.create_task(self._run(), name="leder-relay")

    async def stop(self) -> None:
        """Finish the round in hand, then stop."""
        self.stopping = True
        self.wakeup.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self.wakeup.close()

    async def round(self) -> int:
        """Place what has committed, then whatever follows; returns how many events were placed."""
        placed = await place_all(self.sessionmaker, self.turns, keep_going=lambda: not self.stopping)
        if self.then is not None:
            await self.then()
        return placed

    async def _run(self) -> None:
        while not self.stopping:
            self.wakeup.clear()  # before looking: a commit from now on wakes the next round
            try:
                await self.round()
            except Exception as exc:
                if not self.failing:
                    log.warning("feed relay failing; retrying every poll", extra={"error": type(exc).__name__})
                self.failing = True
            else:
                if self.failing:
                    log.warning("feed relay working again")
                self.failing = False
            await self.wakeup.wait(self.poll_seconds)
