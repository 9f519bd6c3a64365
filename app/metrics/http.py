"""Request counts and durations, by method, route template and status.

Fed by RequestContextMiddleware's access-log hook (app/core/middleware.py), which already has the
status, the matched route and the duration: no second middleware layer. Labels are bounded by
construction: the route's template (never the URL, so no ids or queries), `unmatched` for anything
no route matched, a method outside the usual set as `other`, and the status the service chose.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

UNMATCHED = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_LABELS = ("method", "route", "status")
# Web API latencies: most answers well under a second, a slow report or export in seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter("leder_http_requests", "HTTP requests answered.", _LABELS, registry=registry)
        self.duration = Histogram(
            "leder_http_request_duration_seconds",
            "Time from receiving a request to the end of its answer.",
            _LABELS,
            buckets=BUCKETS,
            registry=registry,
        )
        # (method, route, status) -> the two children: after the first request of a kind, observing is two
        # dictionary lookups and two increments. Bounded, as the labels are.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str | None, status: int, seconds: float) -> None:
        key = (method if method in _METHODS else "other", route or UNMATCHED, status)
        children = self._children.get(key)
        if children is None:
            labels = (key[0], key[1], str(status))
            children = self._children[key] = (self.requests.labels(*labels), self.duration.labels(*labels))
        children[0].inc()
        children[1].observe(seconds)
