"""A notification's holds and flags, read in the same statement as the notification itself.

A read or a list page needs each notification's holds (the clock) and flags (the view). Two more statements per
request, sent even when there are none (as for most notifications), cost more than the rows they return: each
round trip through SQLAlchemy and psycopg is a fixed cost of CPU. Here each notification row carries its holds
and its flags as two JSON arrays (correlated subqueries on the `notification_id` indexes), built by the JSON
functions of the database in use, and turned back here into the same `Hold` and `BiasFlag` objects the ORM
would load, ordered as `load_related` orders them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ColumnElement,
    Date,
    ScalarSelect,
    Table,
    Uuid,
    func,
    literal_column,
    select,
)
from sqlmodel import SQLModel, col

from app.core.types import UTCDateTime
from app.flags.models import BiasFlag
from app.notifications.models import Notification
from app.reviews.models import Hold


@dataclass(frozen=True)
class Related:
    """What a notification's view needs beyond its own row."""

    holds: list[Hold] = field(default_factory=list)
    flags: list[BiasFlag] = field(default_factory=list)


@cache  # built once per dialect: constructing them cost more than the rest of a read's statement
def related_columns(dialect: str) -> tuple[ScalarSelect[Any], ScalarSelect[Any]]:
    """The holds and the flags of the notification in the enclosing query, each a JSON array (NULL if none)."""
    return _rows_of(Hold, dialect), _rows_of(BiasFlag, dialect)


def related_of(holds: Any, flags: Any) -> Related:
    """The two columns of `related_columns`, as the objects the view is built from."""
    found_holds = [_decode(Hold, row) for row in _array(holds)]
    found_flags = [_decode(BiasFlag, row) for row in _array(flags)]
    found_holds.sort(key=lambda hold: hold.started_at)  # as holds_by_notification orders them
    found_flags.sort(key=lambda flag: (flag.raised_at, flag.id))  # as flags_by_notification does
    return Related(found_holds, found_flags)


def _rows_of(model: type[SQLModel], dialect: str) -> ScalarSelect[Any]:
    table = _table(model)
    if dialect == "postgresql":
        row = func.json_build_object(*_pairs(table, lambda column: column))
        array = func.json_agg(row)
    elif dialect == "sqlite":
        # JSON columns are text in SQLite: json() embeds them as JSON rather than as a string.
        row = func.json_object(*_pairs(table, lambda column: func.json(column) if _is_json(column) else column))
        array = func.json_group_array(row)
    else:  # pragma: no cover - the service runs on these two
        raise ValueError(f"no JSON aggregation written for {dialect}")
    return select(array).where(table.c.notification_id == col(Notification.id)).scalar_subquery()


def _pairs(table: Table, value: Callable[[Column[Any]], ColumnElement[Any]]) -> list[Any]:
    # The keys are written into the SQL: as bound parameters, each of the 22 would be sent with every statement.
    pairs: list[Any] = []
    for column in table.columns:
        pairs += [literal_column(f"'{column.name}'"), value(column)]
    return pairs


def _array(value: Any) -> list[dict[str, Any]]:
    if value is None:  # no rows: json_agg gives NULL
        return []
    rows: list[dict[str, Any]] = orjson.loads(value) if isinstance(value, str | bytes) else value
    return rows


def _decode(model: type[SQLModel], row: dict[str, Any]) -> Any:
    """The object the ORM would have loaded from the same row: JSON's strings back into their column types."""
    values = {}
    for column in _table(model).columns:
        raw = row.get(column.name)
        values[column.name] = None if raw is None else _from_json(column, raw)
    return model(**values)


def _from_json(column: Column[Any], raw: Any) -> Any:
    column_type = column.type
    if isinstance(column_type, UTCDateTime):
        moment = datetime.fromisoformat(raw)  # PostgreSQL: with its offset; SQLite: UTC without one
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if isinstance(column_type, Uuid):
        return uuid.UUID(raw)  # PostgreSQL's text form or SQLite's 32 hex digits
    if isinstance(column_type, Date):
        return date.fromisoformat(raw)
    if isinstance(column_type, Boolean):
        return bool(raw)  # SQLite's JSON writes 1 and 0
    return raw  # text, numbers and JSON come back as themselves


def _is_json(column: Column[Any]) -> bool:
    return isinstance(column.type, JSON)


def _table(model: type[SQLModel]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table
