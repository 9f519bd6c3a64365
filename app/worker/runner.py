"""`leder worker`: runs beside the API and sweeps the SLA clocks.

On SQLite one worker at a time (it holds the "worker" lease; a second one refuses to start). On
PostgreSQL any number may run: the sweep locks the rows it changes and skips rows others hold.
SIGTERM or SIGINT: the chunk in hand is finished and committed, the lease released, then it exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Awaitable, Callable
from datetime import timedelta

from app.core.clock import Clock, uk_date
from app.core.config import Settings
from app.core.db import create_engine, create_sessionmaker
from app.worker import leases
from app.worker.sla_sweep import SweepResult, sweep

log = logging.getLogger("leder.worker")

SQLITE_LEASE = "worker"


class AnotherWorkerRuns(Exception):
    pass


class Worker:
    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.holder = f"{socket.gethostname()}:{os.getpid()}"[:80]
        self.stopping = asyncio.Event()

    def stop(self) -> None:
        self.stopping.set()

    async def run(self, *, once: bool = False) -> SweepResult:
        """Sweep until stopped (or once); returns the last sweep's result."""
        engine = create_engine(self.settings)
        sessionmaker = create_sessionmaker(engine)
        exclusive = engine.dialect.name == "sqlite"
        ttl = timedelta(seconds=self.settings.worker_lease_seconds)
        result = SweepResult()

        async def renew(_: SweepResult | None = None) -> None:
            if exclusive:
                async with sessionmaker() as session:
                    if not await leases.acquire(session, SQLITE_LEASE, self.holder, self.clock.now(), ttl):
                        raise AnotherWorkerRuns("another worker took over this database")

        try:
            if exclusive:
                async with sessionmaker() as session:
                    if not await leases.acquire(session, SQLITE_LEASE, self.holder, self.clock.now(), ttl):
                        raise AnotherWorkerRuns("another worker is running on this SQLite database")
            while not self.stopping.is_set():
                now = self.clock.now()
                result = await sweep(
                    sessionmaker, uk_date(now), now, self.settings.sla_at_risk_days,
                    chunk_size=self.settings.worker_sweep_chunk,
                    keep_going=lambda: not self.stopping.is_set(),
                    on_chunk=renew,
                )  # fmt: skip
                log.info("sla sweep", extra={"changed": result.changed, "announced": result.announced})
                if once:
                    break
                await self._wait_for_next_sweep(renew, ttl)
        finally:
            if exclusive:
                async with sessionmaker() as session:
                    await leases.release(session, SQLITE_LEASE, self.holder)
            await engine.dispose()
        return result

    async def _wait_for_next_sweep(self, renew: Callable[[], Awaitable[None]], ttl: timedelta) -> None:
        """Sleep until the next sweep is due (or a stop), renewing the lease well before it lapses."""
        loop = asyncio.get_running_loop()
        next_sweep = loop.time() + self.settings.worker_sweep_interval_seconds
        while not self.stopping.is_set() and loop.time() < next_sweep:
            await self._sleep(min(ttl.total_seconds() / 2, next_sweep - loop.time()))
            await renew()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), timeout=seconds)


def install_signal_handlers(worker: Worker) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, worker.stop)
