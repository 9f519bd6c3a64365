"""Column types shared by every domain."""

from __future__ import annotations

import re
from contextvars import ContextVar
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator
from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from app.core.clock import uk_date


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    PostgreSQL stores `timestamptz`; SQLite has no zone, so UTC is stored and re-attached on read.
    Naive datetimes are refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# A calendar date in a request or answer: a YYYY-MM-DD string in JSON, as the OpenAPI `date` format
# says. pydantic's lax mode would also read 1700000000 or "2020-01-01T00:00:00Z" as a date.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: object) -> object:
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("a date must be written as YYYY-MM-DD")


Day = Annotated[date, BeforeValidator(_iso_date_only)]


# What a caller may send: no date before 1900 (nobody notified now was born earlier; year-1 dates broke every
# list), and dates about what has happened no later than today in the UK. "Today" is the app's clock's, set for
# the request by the middleware (tests move it); outside a request, the system's.
EARLIEST_DAY = date(1900, 1, 1)
PLANNING_YEARS = 10  # how far ahead a planned date (a hold's expected end, an action's due date) may be
request_today: ContextVar[date | None] = ContextVar("request_today", default=None)


def today_uk() -> date:
    return request_today.get() or uk_date(datetime.now(UTC))


def _not_before_1900(value: date) -> date:
    if value < EARLIEST_DAY:
        raise ValueError("is before 1900")
    return value


def _happened(value: date) -> date:
    _not_before_1900(value)
    if value > today_uk():
        raise ValueError("is in the future")
    return value


def _planned(value: date) -> date:
    _not_before_1900(value)
    if value.year > today_uk().year + PLANNING_YEARS:
        raise ValueError(f"is more than {PLANNING_YEARS} years ahead")
    return value


# A day something happened (a birth, a death, a notification, a conversation): 1900 to today.
PastDay = Annotated[date, BeforeValidator(_iso_date_only), AfterValidator(_happened)]
# A day something is planned for: 1900 to ten years ahead.
PlannedDay = Annotated[date, BeforeValidator(_iso_date_only), AfterValidator(_planned)]
# A day in a query's filter: 1900 to ten years ahead, so that no arithmetic on it can overflow.
FilterDay = PlannedDay


def _plausible_moment(value: datetime) -> datetime:
    try:
        in_utc = value.astimezone(UTC)  # year 1 at +14:00, or year 9999 at -14:00, has no UTC time
    except OverflowError:
        raise ValueError("is outside the dates this service holds") from None
    _planned(in_utc.date())
    return in_utc


def _iso_moment_only(value: object) -> object:
    # pydantic would take "5550160" as seconds since 1970: a filter written as a number is a mistake, not a time.
    if isinstance(value, datetime) or (
        isinstance(value, str) and _ISO_DATE.match(value) and value[10:11] in ("T", "t", " ")
    ):
        return value
    raise ValueError("a time must be written as ISO 8601 with its zone, e.g. 2025-03-17T10:00:00Z")


# A moment in a query's filter, with its zone: 1900 to ten years ahead, returned in UTC.
FilterMoment = Annotated[AwareDatetime, BeforeValidator(_iso_moment_only), AfterValidator(_plausible_moment)]
