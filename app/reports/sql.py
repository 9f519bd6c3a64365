"""SQL the reports need that SQLite and PostgreSQL spell differently: reading JSON documents, and medians.

JSON columns hold the findings and the cause of death; reports aggregate over them in the database rather
than loading documents into Python. Paths are constants of this code, never input, so they are written into
the SQL as literals (PostgreSQL's `#>>` needs a text[] literal, which a bound parameter would not give).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Integer, Select, func, literal, literal_column, select
from sqlalchemy.sql.elements import KeyedColumnElement

_PATH_PART = re.compile(r"^(-?\d+|[a-z_][a-z0-9_]*)$")


class JsonSql:
    """JSON access for one dialect: `sqlite` (the JSON1 functions) or `postgresql` (json operators)."""

    def __init__(self, dialect: str) -> None:
        if dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"no JSON support written for {dialect}")
        self.postgresql = dialect == "postgresql"

    def value(self, column: ColumnElement[Any], *path: str | int) -> ColumnElement[Any]:
        """The scalar at `path`; a negative index counts from the end of an array. NULL when absent.

        SQLite gives JSON's own types (true and false as 1 and 0); PostgreSQL gives text ('true', '2'):
        read the results with `as_bool` / `as_int`.
        """
        parts = [str(p) for p in path]
        if not all(_PATH_PART.match(p) for p in parts):
            raise ValueError(f"unexpected JSON path {path!r}")
        if self.postgresql:
            return column.op("#>>")(literal_column("'{" + ",".join(parts) + "}'"))
        sqlite_path = "$" + "".join(
            (f"[#{p}]" if p.startswith("-") else f"[{p}]") if p.lstrip("-").isdigit() else f".{p}" for p in parts
        )
        return func.json_extract(column, literal_column(f"'{sqlite_path}'"))

    def array_length(self, column: ColumnElement[Any], key: str) -> ColumnElement[int]:
        if not _PATH_PART.match(key):
            raise ValueError(f"unexpected JSON key {key!r}")
        if self.postgresql:
            return func.json_array_length(column.op("->")(literal_column(f"'{key}'")), type_=Integer)
        return func.json_array_length(column, literal_column(f"'$.{key}'"), type_=Integer)

    def elements(self, column: ColumnElement[Any], key: str, name: str) -> FromClause:
        """The elements of the array at `key`, as a table `name` with one column, `value`, to join to the
        row they come from (lateral in both databases). Read an element's fields with `element_value`."""
        if not _PATH_PART.match(key):
            raise ValueError(f"unexpected JSON key {key!r}")
        if self.postgresql:
            array = column.op("->")(literal_column(f"'{key}'"))
            return func.json_array_elements(array).table_valued("value").alias(name)
        return func.json_each(column, literal_column(f"'$.{key}'")).table_valued("value").alias(name)

    def element_text(self, elements: FromClause) -> ColumnElement[Any]:
        """An element that is a string, as text."""
        if self.postgresql:
            return elements.c.value.op("#>>")(literal_column("'{}'"))  # a json string, unquoted
        return elements.c.value  # json_each gives a string element as SQL text

    def element_value(self, elements: FromClause, key: str) -> ColumnElement[Any]:
        """The scalar at `key` of an element that is an object."""
        if not _PATH_PART.match(key):
            raise ValueError(f"unexpected JSON key {key!r}")
        if self.postgresql:
            return elements.c.value.op("->>")(literal_column(f"'{key}'"))
        return func.json_extract(elements.c.value, literal_column(f"'$.{key}'"))


def as_bool(value: object) -> bool | None:
    """A JSON boolean as `JsonSql.value` returns it from either database; None for null or absent."""
    if value in (True, 1, "true"):
        return True
    if value in (False, 0, "false"):
        return False
    return None


def as_int(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    return int(str(value))


def medians(
    value: KeyedColumnElement[Any], group: ColumnElement[Any] | None, *where: ColumnElement[bool]
) -> Select[tuple[Any, Any, int]]:
    """(group, median of value, how many) for the rows `where` selects, per group (or one row, group 'all').

    The median is found in SQL, not by fetching the rows: number the values in order within each group and
    average the middle one (odd count) or two (even). With rn counted from 1 in a group of n, those are the
    rows with n <= 2 rn <= n + 2, which needs no integer division (spelt differently in each database).
    """
    group_column = group if group is not None else literal("all")
    ranked = (
        select(
            group_column.label("grp"),
            value.label("v"),
            func.row_number().over(partition_by=group, order_by=value).label("rn"),
            func.count().over(partition_by=group).label("n"),
        )
        .where(*where)
        .subquery("ranked")
    )
    twice = 2 * ranked.c.rn
    return (
        select(ranked.c.grp, func.avg(ranked.c.v), func.max(ranked.c.n))
        .where(twice >= ranked.c.n, twice <= ranked.c.n + 2)
        .group_by(ranked.c.grp)
    )
