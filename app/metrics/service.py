"""One app's metrics: its own registry (not prometheus_client's global one, so the many apps a test run
makes never collide), the request metrics, the scrape-time gauges and the process's counters."""

from __future__ import annotations

from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.metrics.collectors import OutboxCollector, PoolCollector
from app.metrics.http import HttpMetrics
from app.metrics.process import register_process_metrics


class AppMetrics:
    def __init__(self, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.http = HttpMetrics(self.registry)
        self.outbox = OutboxCollector(sessionmaker)
        self.registry.register(self.outbox)
        self.registry.register(PoolCollector(engine))
        register_process_metrics(self.registry)

    async def scrape(self, now: datetime) -> bytes:
        """The text exposition, with the backlog read from the database now (or reported unreadable)."""
        await self.outbox.refresh(now)
        return generate_latest(self.registry)


def worker_registry(engine: AsyncEngine) -> CollectorRegistry:
    """The worker's: what it counts (deliveries, sweeps) and its pool. The backlog comes from the API's
    /metrics (any replica: it is the database's, the same for all), as collecting here runs in the HTTP
    server's thread, away from the worker's event loop and its database connections."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PoolCollector(engine))
    register_process_metrics(registry)
    return registry
