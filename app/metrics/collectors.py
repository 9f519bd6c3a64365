"""Gauges read when Prometheus scrapes: the outbox backlog (from the database) and the connection pool.

prometheus_client collects synchronously; the database is reached asynchronously. So the backlog is read
by the scrape's route first (`OutboxCollector.refresh`, bounded in time) and collected from what it read.
A database that is down or slow costs the scrape its backlog gauges (and `leder_outbox_backlog_up` says 0),
never the scrape itself: the request and pool metrics still come.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.pool import QueuePool
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.db import READ_ONLY_OPTION
from app.events.backlog import OutboxBacklog, outbox_backlog

log = logging.getLogger("leder.metrics")

# Well inside Prometheus's default scrape timeout (10 s), and shorter than PostgreSQL's connect timeout,
# so a database that drops packets costs a scrape at most this.
BACKLOG_TIMEOUT_SECONDS = 2.0


class OutboxCollector(Collector):
    """The outbox backlog (app/events/backlog.py) as of the last refresh: one short read-only transaction."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self.backlog: OutboxBacklog | None = None

    async def refresh(self, now: datetime) -> None:
        try:
            async with asyncio.timeout(BACKLOG_TIMEOUT_SECONDS), self.sessionmaker() as session:
                # A deferred BEGIN on SQLite: the scrape reads, and must not queue for the write lock.
                await session.connection(execution_options={READ_ONLY_OPTION: True})
                self.backlog = await outbox_backlog(session, now)
        except Exception as exc:  # whatever the database does, the scrape goes on without the backlog
            log.warning("outbox backlog unreadable", extra={"error_type": type(exc).__name__})
            self.backlog = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        backlog = self.backlog
        yield GaugeMetricFamily(
            "leder_outbox_backlog_up",
            "1 if this scrape read the outbox backlog from the database, 0 if it could not "
            "(the backlog gauges are then absent).",
            value=0 if backlog is None else 1,
        )
        if backlog is None:
            return
        events = GaugeMetricFamily(
            "leder_outbox_backlog_events",
            "Events waiting: for the relay to place them in the change feed (stage=relay), for the webhook "
            "fan-out (stage=fan_out); webhook deliveries neither delivered nor dead (stage=delivery).",
            labels=["stage"],
        )
        events.add_metric(["relay"], backlog.unplaced)
        events.add_metric(["fan_out"], backlog.not_fanned_out)
        events.add_metric(["delivery"], backlog.pending_deliveries)
        yield events
        oldest = GaugeMetricFamily(
            "leder_outbox_backlog_oldest_seconds",
            "Age of the oldest event waiting for the relay (stage=relay) or with a webhook delivery pending "
            "(stage=delivery); 0 when none.",
            labels=["stage"],
        )
        oldest.add_metric(["relay"], backlog.oldest_unplaced_seconds)
        oldest.add_metric(["delivery"], backlog.oldest_pending_delivery_seconds)
        yield oldest
        yield GaugeMetricFamily(
            "leder_outbox_oldest_undelivered_seconds",
            "Age of the oldest event still on its way to the feed or a webhook receiver; 0 when none.",
            value=backlog.oldest_undelivered_seconds,
        )


class PoolCollector(Collector):
    """This process's database connections. PostgreSQL's pool is `LEDER_DB_POOL_SIZE` with no overflow;
    SQLite's file gets SQLAlchemy's default queue pool (5, and up to 10 more: checked-out can exceed size
    there). A pool without a size (NullPool, StaticPool: none used today) reports nothing."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pool = self.engine.pool
        if not isinstance(pool, QueuePool):
            return
        yield GaugeMetricFamily("leder_db_pool_size", "Connections the pool keeps open.", value=pool.size())
        yield GaugeMetricFamily(
            "leder_db_pool_checked_out", "Connections in use by requests or tasks now.", value=pool.checkedout()
        )
