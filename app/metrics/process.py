"""Metrics of work a process does outside requests (webhook deliveries, the SLA sweep).

Module-level, as the code that counts is (app/webhooks/delivery.py, app/worker/runner.py), but
registered in no registry here: each app's registry (and the worker's) registers them, so the many
apps a test run creates never collide on prometheus_client's global registry. The counts are the
process's: an API process that relays nothing reports zeros; the worker that delivers reports its own.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

# No `_created` series beside every counter and histogram: Prometheus does not need them (it sees resets
# itself) and they would double what each scrape carries. A switch for the whole process, set on import.
disable_created_metrics()  # type: ignore[no-untyped-call]

WEBHOOK_DELIVERIES = Counter(
    "leder_webhook_deliveries",
    "Webhook delivery attempts by outcome: delivered, failed (to be retried) or dead (dead-lettered).",
    ["outcome"],
    registry=None,
)
# Children made once: the delivery loop only increments.
DELIVERED = WEBHOOK_DELIVERIES.labels(outcome="delivered")
FAILED = WEBHOOK_DELIVERIES.labels(outcome="failed")
DEAD = WEBHOOK_DELIVERIES.labels(outcome="dead")

SLA_SWEEP_SECONDS = Histogram(
    "leder_sla_sweep_duration_seconds",
    "How long each SLA sweep took, start to finish (the scan and every chunk).",
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
    registry=None,
)

PROCESS_METRICS = (WEBHOOK_DELIVERIES, SLA_SWEEP_SECONDS)


def register_process_metrics(registry: CollectorRegistry) -> None:
    for metric in PROCESS_METRICS:
        registry.register(metric)
