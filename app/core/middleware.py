"""Pure ASGI middleware: request ids, access log, body size limit, last-resort 500s and 503s, safe headers."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.clock import Clock, SystemClock, uk_date
from app.core.errors import database_unavailable, problem_response, unavailable_response
from app.core.logging import request_id_var
from app.core.types import request_today

log = logging.getLogger("leder.access")

_SAFE_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


# A caller's id (a load balancer's or client's) is kept so one request can be followed across systems,
# but only in a shape that cannot smuggle anything into logs or headers: short, no spaces or controls.
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def accepted_request_id(value: str | None) -> str | None:
    """The incoming X-Request-ID if it is well-formed, else None (and the service makes its own)."""
    if value is not None and _REQUEST_ID.fullmatch(value):
        return value
    return None


class _BodyTooLarge(Exception):
    pass


# Told of every answered request: method, route template (None when no route matched), status, seconds.
Observer = Callable[[str, str | None, int, float], None]


class RequestContextMiddleware:
    """Outermost layer of the app.

    Unhandled exceptions end here as a 500 problem carrying the request id; they are logged by type
    only, because exception text can carry request values (names, NHS numbers).
    """

    def __init__(
        self, app: ASGIApp, max_body_bytes: int, clock: Clock | None = None, observe: Observer | None = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.clock = clock or SystemClock()
        self.observe = observe  # the request metrics (app/metrics/http.py), fed from the access log's values

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accepted_request_id(_header(scope, b"x-request-id")) or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        # The UK day by the app's clock, for the date types' "not in the future" (app.core.types).
        today_token = request_today.set(uk_date(self.clock.now()))
        started = time.perf_counter()
        status = 500
        response_started = False

        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            response = problem_response(413, detail=f"The body limit is {self.max_body_bytes} bytes.")
            await response(scope, receive, _with_headers(send, request_id))
            self._log(scope, 413, started)
            request_id_var.reset(token)
            request_today.reset(today_token)
            return

        received = 0
        too_large = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    too_large = True
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal status, response_started
            if too_large and not response_started:
                return  # the app's answer to a cut-off body is replaced by the 413 below
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
            await send(message)

        send_with_headers = _with_headers(tracking_send, request_id)
        try:
            await self.app(scope, limited_receive, send_with_headers)
        except Exception as exc:
            if not too_large:
                log.error("unhandled error", extra={"error_type": type(exc).__name__})
            if not response_started and not too_large:
                # A database failure the handlers did not see (e.g. raised while answering another problem).
                response = (
                    unavailable_response()
                    if database_unavailable(exc)
                    else problem_response(
                        500, detail="An unexpected error occurred. Quote the request id when reporting it."
                    )
                )
                await response(scope, receive, send_with_headers)
        finally:
            if too_large and not response_started:
                too_large = False  # let the 413 through tracking_send
                response = problem_response(413, detail=f"The body limit is {self.max_body_bytes} bytes.")
                await response(scope, receive, send_with_headers)
            self._log(scope, status, started)
            request_id_var.reset(token)
            request_today.reset(today_token)

    def _log(self, scope: Scope, status: int, started: float) -> None:
        seconds = time.perf_counter() - started
        # The route template, not the URL: ids stay out of the access log's grouping, queries entirely.
        template: str | None = getattr(scope.get("route"), "path", None)
        method: str = scope["method"]
        if self.observe is not None:
            self.observe(method, template, status, seconds)
        log.info(
            "request",
            extra={
                "method": method,
                "route": template or "(unmatched)",
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
            },
        )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _with_headers(send: Send, request_id: str) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers: list[Any] = list(message.get("headers", []))
            present = {key.lower() for key, _ in headers}
            headers.append((b"x-request-id", request_id.encode()))
            headers.extend(h for h in _SAFE_HEADERS if h[0] not in present)
            message = {**message, "headers": headers}
        await send(message)

    return wrapped
