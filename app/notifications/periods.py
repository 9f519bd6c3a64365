"""Date filters of the notifications list, as days or months, and national oversight's rule: months only.

National oversight must never recover the day of a notification: not from a value, not by narrowing a filter
day by day (bisection), not from a cursor, and not from the order of a list. So for national callers every
date filter is a month (`2026-09`; a day is a 422 naming the field), the list is ordered by notified month then
id, and there is no ordering by due date. The same holds for an integrator client without `notifications:dates`,
whose view shows months only. Other callers may give a day or a month.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from pydantic import TypeAdapter, ValidationError

from app.auth.policy import Role, Scope
from app.auth.service import Principal
from app.core.errors import invalid_field
from app.core.types import FilterDay

PATTERN = r"^\d{4}-\d{2}(-\d{2})?$"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = TypeAdapter(FilterDay)


def months_only(principal: Principal) -> bool:
    """National oversight always; an integrator client unless granted `notifications:dates` (its view shows months,
    so its filters and order must not give the day away either)."""
    if principal.role is Role.integrator:
        return Scope.notifications_dates not in principal.scopes
    return principal.role is Role.national


def months_only_reason(principal: Principal, what: str) -> str:
    if principal.role is Role.integrator:
        return f"without the notifications:dates scope, {what}"
    return f"national oversight {what}"


def period_bound(value: str | None, field: str, principal: Principal, *, end: bool) -> date | None:
    """The first (or, with `end`, the last) day a filter value covers; a month covers all its days."""
    if value is None:
        return None
    month = _MONTH.match(value)
    if month is None and months_only(principal):
        raise invalid_field(field, months_only_reason(principal, "filters by month: give YYYY-MM"), location="query")
    try:
        if month is not None:
            year, number = int(month[1]), int(month[2])
            day = calendar.monthrange(year, number)[1] if end else 1
            return _DAY.validate_python(f"{year:04d}-{number:02d}-{day:02d}")
        return _DAY.validate_python(value)
    except ValidationError as exc:  # before ValueError, which it is too
        reason = exc.errors()[0].get("ctx", {}).get("error", "is not a date (YYYY-MM-DD) or month (YYYY-MM)")
        raise invalid_field(field, str(reason), location="query") from None
    except ValueError:  # a month number out of range
        raise invalid_field(field, "is not a month (YYYY-MM)", location="query") from None
