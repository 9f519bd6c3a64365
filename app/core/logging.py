"""Structured JSON logs carrying the request id; never personal data.

Log lines name ids, routes, statuses and timings only. Exceptions are logged by type and a sanitised
message: SQLAlchemy error text has its parameters hidden by the engine (hide_parameters=True).
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter

_HANDLER_NAME = "leder-json"

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        # uvicorn adds a copy of its message with ANSI colour codes for terminals; a pipeline wants plain text.
        record.__dict__.pop("color_message", None)
        return True


class _UtcJsonFormatter(JsonFormatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        _UtcJsonFormatter(
            "{asctime}{levelname}{name}{message}{request_id}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(_RequestIdFilter())
    handler.set_name(_HANDLER_NAME)
    root = logging.getLogger()
    # Replace our own handler if configured before (one app per test), leave anyone else's alone.
    root.handlers[:] = [h for h in root.handlers if h.get_name() != _HANDLER_NAME] + [handler]
    root.setLevel(level.upper())
    # These log SQL with its parameters at DEBUG: personal data. Never below WARNING.
    for name in ("aiosqlite", "sqlalchemy.engine", "sqlalchemy.pool", "psycopg"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # uvicorn's own access log prints full URLs with query strings; ours logs the route template.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error", "uvicorn.asgi"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
