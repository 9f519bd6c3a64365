"""Every API error is RFC 9457 problem+json (the family pages answer in HTML): one exception class per kind."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.logging import request_id_var

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
# How long a client should wait before retrying while the database is unavailable (readiness says the same).
RETRY_AFTER_SECONDS = 5


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the offending field, e.g. `person.nhs_number`.")
    location: str = Field(description="Where the field was: body, query, path or header.")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details. Extension members vary by problem type."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


class ProblemError(Exception):
    """A problem to answer with. Subclasses fix status, type and title."""

    status: ClassVar[int] = 500
    slug: ClassVar[str | None] = None
    title: ClassVar[str | None] = None
    # When set, the attempt is written to the audit trail with this outcome.
    audit_outcome: ClassVar[str | None] = None

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail or "")
        self.detail = detail
        self.extensions = extensions

    def headers(self) -> dict[str, str]:
        return {}


class Unauthenticated(ProblemError):
    status = 401
    slug = "unauthenticated"
    title = "Authentication required"
    audit_outcome = "unauthenticated"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class Forbidden(ProblemError):
    status = 403
    slug = "forbidden"
    title = "Not allowed for your role"
    audit_outcome = "denied"


class NotFound(ProblemError):
    """Also what a caller gets for a record they may not see: the two are indistinguishable."""

    status = 404
    title = "Not Found"
    audit_outcome = "not_found"


class Conflict(ProblemError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class InvalidInput(ProblemError):
    status = 422
    slug = "validation"
    title = "The request is not valid"

    def __init__(self, errors: Sequence[FieldError], detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail or "; ".join(f"{e.field}: {e.message}" for e in errors), **extensions)
        self.errors = list(errors)


def invalid_field(field: str, message: str, location: str = "body") -> InvalidInput:
    return InvalidInput([FieldError(field=field, location=location, message=message)])


class PayloadTooLarge(ProblemError):
    status = 413
    title = "Request body too large"


def problem_response(
    status: int,
    *,
    title: str | None = None,
    slug: str | None = None,
    detail: str | None = None,
    errors: Iterable[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body = Problem(
        type=f"urn:leder:problem:{slug}" if slug else "about:blank",
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        request_id=request_id_var.get(),
        errors=list(errors) if errors is not None else None,
        **extensions,
    )
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


# The database, not the request, failed: connections refused, dropped or timed out, the pool exhausted, or
# (OperationalError) a transient refusal such as SQLite's busy lock or PostgreSQL's serialization failure.
# The request's transaction did not commit, so a retry is safe; only a connection lost during COMMIT itself
# leaves the outcome unknown, which a retry with the same Idempotency-Key (creates) or If-Match settles.
_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)


def database_unavailable(exc: BaseException) -> bool:
    return isinstance(exc, _UNAVAILABLE) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def unavailable_response() -> JSONResponse:
    """503 with `Retry-After`. The driver's message is never passed on: it can name hosts, ports and users."""
    return problem_response(
        503,
        slug="unavailable",
        title="The service is unavailable for the moment",
        detail=f"The database could not be used. Retry after {RETRY_AFTER_SECONDS} seconds.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _field_errors(exc: RequestValidationError) -> list[FieldError]:
    return field_errors(exc.errors())


# Pydantic puts these before the text of a ValueError or an assert raised in a validator: noise to a reader.
_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")


def plain_message(message: str) -> str:
    """A validation message as plain words: without pydantic's `Value error, ` before our own text."""
    for prefix in _PYDANTIC_PREFIXES:
        message = message.removeprefix(prefix)
    return message


def field_errors(errors: Sequence[Any], default_location: str = "body") -> list[FieldError]:
    """Pydantic's errors as ours. Never echo the input back: it may be an NHS number or a name."""
    out = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ())]
        location = loc[0] if loc and loc[0] in {"body", "query", "path", "header", "cookie"} else default_location
        path = loc[1:] if loc and loc[0] == location else loc
        message = plain_message(str(err.get("msg", "invalid")))
        out.append(FieldError(field=".".join(path) or location, location=location, message=message))
    return out


_UNPARSEABLE_BODY = "There was an error parsing the body"
DenialHook = Callable[[Request, ProblemError], Awaitable[None]]
# For the human-facing pages: an HTML answer to a problem on a page route, or None for problem+json.
PageRenderer = Callable[[Request, int, Exception], Response | None]


def install_problem_handlers(app: FastAPI, on_denied: DenialHook, render_page: PageRenderer | None = None) -> None:
    def answer(request: Request, status: int, exc: Exception, problem: Callable[[], Response]) -> Response:
        page = render_page(request, status, exc) if render_page else None
        return page if page is not None else problem()

    async def handle_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)
        if exc.audit_outcome is not None:
            await on_denied(request, exc)
        return answer(request, exc.status, exc, lambda: problem_response(
            exc.status,
            title=exc.title,
            slug=exc.slug,
            detail=exc.detail,
            errors=exc.errors if isinstance(exc, InvalidInput) else None,
            headers=exc.headers(),
            **exc.extensions,
        ))  # fmt: skip

    async def handle_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 400 and exc.detail == _UNPARSEABLE_BODY:
            # FastAPI's answer to a body that is not even text: the same 422 as for malformed JSON.
            unreadable = [FieldError(field="body", location="body", message="is not valid JSON")]
            return answer(request, 422, exc, lambda: problem_response(
                422, title=InvalidInput.title, slug=InvalidInput.slug, detail="body: is not valid JSON",
                errors=unreadable,
            ))  # fmt: skip
        headers = dict(exc.headers or {})
        return answer(request, exc.status_code, exc,
                      lambda: problem_response(exc.status_code, detail=exc.detail, headers=headers))  # fmt: skip

    async def handle_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = _field_errors(exc)
        return answer(request, 422, exc, lambda: problem_response(
            422,
            title=InvalidInput.title,
            slug=InvalidInput.slug,
            detail="; ".join(f"{e.field}: {e.message}" for e in errors),
            errors=errors,
        ))  # fmt: skip

    async def handle_integrity(request: Request, exc: Exception) -> Response:
        # Lost a race with a concurrent write of the same unique value (the services check first).
        return answer(request, 409, exc, lambda: problem_response(
            409, slug="conflict", detail="This conflicts with a record written meanwhile."
        ))  # fmt: skip

    async def handle_data(request: Request, exc: Exception) -> Response:
        # A value the database cannot store, e.g. a NUL character in text for PostgreSQL.
        return answer(request, 422, exc, lambda: problem_response(
            422, title=InvalidInput.title, slug=InvalidInput.slug, detail="A value could not be stored as given."
        ))  # fmt: skip

    async def handle_unavailable(request: Request, exc: Exception) -> Response:
        log.warning("database unavailable", extra={"error_type": type(exc).__name__})
        answered = answer(request, 503, exc, unavailable_response)
        answered.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)  # on the family pages' HTML answer too
        return answered

    app.add_exception_handler(ProblemError, handle_problem)
    for unavailable in _UNAVAILABLE:
        app.add_exception_handler(unavailable, handle_unavailable)
    app.add_exception_handler(IntegrityError, handle_integrity)
    app.add_exception_handler(DataError, handle_data)
    app.add_exception_handler(StarletteHTTPException, handle_http)
    app.add_exception_handler(RequestValidationError, handle_validation)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the problems a route can answer with."""
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def unavailable_responses() -> dict[int | str, dict[str, Any]]:
    """The 503 that every route using the database may answer, with its `Retry-After` header."""
    responses = problem_responses(503)
    responses[503]["description"] = "The database is unavailable for the moment; retry after `Retry-After` seconds."
    responses[503]["headers"] = {
        "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}
    }
    return responses
