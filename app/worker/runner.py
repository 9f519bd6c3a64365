"""`leder worker`: runs beside the API; relays the change feed, delivers webhooks, seals the audit
chain, sweeps the SLA clocks, prunes what is past its retention.

Its relay task, as soon as events commit (PostgreSQL's NOTIFY wakes it) and otherwise every
`LEDER_WORKER_POLL_SECONDS`, places new events in the change feed (app/events/relay.py) and moves them
into webhook deliveries. Beside it, the main loop sends the deliveries that are due (at once when the
fan-out made some, else every poll) and seals newly committed audit rows into the hash chain
(app/audit/chain.py); every `LEDER_WORKER_SWEEP_INTERVAL_SECONDS` it sweeps the SLA clocks, and every
`LEDER_WORKER_PRUNE_INTERVAL_SECONDS` deletes rows past their retention (app/worker/retention.py).
On SQLite one worker at a time (it holds the "worker" lease; a second one refuses to start). On
PostgreSQL any number may run: rows are claimed with SKIP LOCKED. SIGTERM or SIGINT: the round in
hand is finished and recorded, the lease released, then it exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from dataclasses import asdict, astuple
from datetime import timedelta
from wsgiref.simple_server import WSGIServer

import httpx
from prometheus_client import start_http_server

from app.actions.sweep import announce_overdue
from app.audit.chain import chain_key, seal_pending
from app.core.clock import Clock, uk_date
from app.core.config import Settings
from app.core.db import create_engine, create_sessionmaker
from app.events.relay import RelayTask
from app.metrics.process import SLA_SWEEP_SECONDS
from app.metrics.service import worker_registry
from app.webhooks.delivery import deliver_due
from app.webhooks.fanout import fan_out
from app.worker import leases
from app.worker.retention import prune
from app.worker.sla_sweep import SweepResult, sweep

log = logging.getLogger("leder.worker")

SQLITE_LEASE = "worker"
FAN_OUT_BATCH = 500
DELIVERY_ROUNDS_PER_POLL = 10


class AnotherWorkerRuns(Exception):
    pass


class Worker:
    def __init__(self, settings: Settings, clock: Clock, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self.http = http  # tests may hand in a client; otherwise one per run
        self.holder = f"{socket.gethostname()}:{os.getpid()}"[:80]
        self.stopping = asyncio.Event()
        self.engine = create_engine(settings)
        self.sessionmaker = create_sessionmaker(self.engine)
        self.exclusive = self.engine.dialect.name == "sqlite"
        self.ttl = timedelta(seconds=settings.worker_lease_seconds)
        self.renewed_at = 0.0  # loop time of the last lease renewal
        # The relay runs beside the rest, so neither a long sweep nor a slow webhook receiver holds the feed.
        self.relay = RelayTask(
            self.sessionmaker, settings.sync_database_url, settings.worker_poll_seconds, then=self._fan_out
        )
        self.deliveries_due = asyncio.Event()  # set by the fan-out: wakes the main loop at once

    def stop(self) -> None:
        self.stopping.set()
        self.deliveries_due.set()

    async def run(self, *, once: bool = False) -> SweepResult:
        """Work until stopped (or one round of everything); returns the last sweep's result."""
        http = self.http or httpx.AsyncClient(follow_redirects=False)
        loop = asyncio.get_running_loop()
        result = SweepResult()
        metrics_server = None
        try:
            await self._renew("another worker is running on this SQLite database", force=True)
            if not once:
                self.relay.start()
                metrics_server = self._serve_metrics()
            next_sweep = next_prune = loop.time()
            while not self.stopping.is_set():
                self.deliveries_due.clear()
                if loop.time() >= next_sweep:
                    result = await self._sweep()
                    next_sweep = loop.time() + self.settings.worker_sweep_interval_seconds
                if loop.time() >= next_prune:
                    await self._prune()
                    next_prune = loop.time() + self.settings.worker_prune_interval_seconds
                if once:
                    await self.relay.round()  # after the sweep: its announcements go out in this round
                await self._deliver(http)
                await self._seal()
                if once:
                    break
                await self._renew()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.settings.worker_poll_seconds):
                        await self.deliveries_due.wait()
        finally:
            if metrics_server is not None:
                metrics_server.shutdown()
                metrics_server.server_close()
            await self.relay.stop()
            if self.http is None:
                await http.aclose()
            if self.exclusive:
                async with self.sessionmaker() as session:
                    await leases.release(session, SQLITE_LEASE, self.holder)
            await self.engine.dispose()
        return result

    async def _renew(self, refusal: str = "another worker took over this database", force: bool = False) -> None:
        """SQLite: hold the one-worker lease, renewing it well before it lapses (long work included)."""
        now = asyncio.get_running_loop().time()
        if not self.exclusive or (not force and now - self.renewed_at < self.ttl.total_seconds() / 3):
            return
        async with self.sessionmaker() as session:
            if not await leases.acquire(session, SQLITE_LEASE, self.holder, self.clock.now(), self.ttl):
                raise AnotherWorkerRuns(refusal)
        self.renewed_at = now

    async def _renew_between_chunks(self, _: SweepResult) -> None:
        await self._renew()

    def _serve_metrics(self) -> WSGIServer | None:
        """`LEDER_WORKER_METRICS_PORT`: this worker's counters and pool for Prometheus, from a thread of
        prometheus_client's own (no token: the port belongs on the private network). Unset: nothing served."""
        port = self.settings.worker_metrics_port
        if port is None:
            return None
        server, _ = start_http_server(port, registry=worker_registry(self.engine))
        log.info("worker metrics served", extra={"port": port})
        return server

    async def _sweep(self) -> SweepResult:
        now = self.clock.now()
        with SLA_SWEEP_SECONDS.time():
            result = await sweep(
                self.sessionmaker, uk_date(now), now, self.settings.sla_at_risk_days,
                chunk_size=self.settings.worker_sweep_chunk, keep_going=lambda: not self.stopping.is_set(),
                on_chunk=self._renew_between_chunks,
            )  # fmt: skip
        log.info("sla sweep", extra={"changed": result.changed, "announced": result.announced})
        result.actions_announced = await announce_overdue(self.sessionmaker, uk_date(now), now)
        return result

    async def _prune(self) -> None:
        pruned = await prune(
            self.sessionmaker, self.clock.now(), self.settings,
            keep_going=lambda: not self.stopping.is_set(), between_batches=self._renew,
        )  # fmt: skip
        if any(astuple(pruned)):
            log.info("pruned", extra=asdict(pruned))

    async def _fan_out(self) -> None:
        """After each relay round: placed events become webhook deliveries (placed by any relay)."""
        read = FAN_OUT_BATCH
        while read == FAN_OUT_BATCH and not self.stopping.is_set():
            read = await fan_out(self.sessionmaker, self.clock.now(), FAN_OUT_BATCH)
            if read:
                self.deliveries_due.set()

    async def _deliver(self, http: httpx.AsyncClient) -> None:
        for _ in range(DELIVERY_ROUNDS_PER_POLL):
            if self.stopping.is_set():
                return
            sent = await deliver_due(self.sessionmaker, http, self.holder, self.clock.now, self.settings)
            if not sent:
                return
            delivered = sum(outcome.delivered for outcome in sent)
            log.info("webhooks sent", extra={"delivered": delivered, "failed": len(sent) - delivered})

    async def _seal(self) -> None:
        sealed = await seal_pending(
            self.sessionmaker, chain_key(self.settings),
            keep_going=lambda: not self.stopping.is_set(), between_batches=self._renew,
        )  # fmt: skip
        if sealed:
            log.info("audit sealed", extra={"rows": sealed})


def install_signal_handlers(worker: Worker) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, worker.stop)
