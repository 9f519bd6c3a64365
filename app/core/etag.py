"""Optimistic concurrency: every mutable resource has a row version, shown as a strong ETag.

Writes must say which version they saw (`If-Match`): none is 428, a stale one 412. The check is
repeated in the UPDATE's WHERE clause, so it holds across several API processes on one database.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from app.core.errors import ProblemError


class PreconditionRequired(ProblemError):
    status = 428
    slug = "precondition-required"
    title = "If-Match is required"


class PreconditionFailed(ProblemError):
    status = 412
    slug = "precondition-failed"
    title = "The resource has changed"


def etag(version: int) -> str:
    return f'"{version}"'


IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=200,
        description="The ETag of the version you last read. Required; a stale one is 412.",
    ),
]


def expected_version(if_match: str | None) -> int:
    """The version the caller saw. `*` is not accepted: it would defeat the point of asking."""
    if if_match is None:
        raise PreconditionRequired("Send If-Match with the ETag you last read.")
    values = [v.strip() for v in if_match.split(",") if v.strip()]
    if len(values) != 1 or not (values[0].startswith('"') and values[0].endswith('"')):
        raise PreconditionFailed("If-Match must be exactly one strong ETag, as given by GET.")
    try:
        return int(values[0][1:-1])
    except ValueError:
        raise PreconditionFailed("That ETag was not issued by this service.") from None
