"""Prometheus metrics: `GET /metrics` for each API process, and optionally the worker's own port."""
