"""A new notification as plain values: the checks it must pass and the columns it is stored with.

Both ways in build notifications here: the API's one at a time (service.create_notification) and the
import's chunk at a time (bulk.record_chunk), so the two cannot drift apart.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from app.auth.service import Principal
from app.core.clock import uk_date
from app.core.errors import FieldError, Forbidden, InvalidInput, invalid_field
from app.notifications.rules import age_in_years, assess_scope
from app.notifications.schemas import NotificationCreate
from app.sla.service import ClockColumns, clock_columns


def date_errors(data: NotificationCreate, today: date) -> list[FieldError]:
    errors = []
    born, died = data.person.date_of_birth, data.death.date_of_death
    if died > today:
        errors.append(FieldError(field="death.date_of_death", location="body", message="is in the future"))
    if died < born:
        errors.append(FieldError(field="death.date_of_death", location="body", message="is before the date of birth"))
    if data.notified_on is not None:
        if data.notified_on > today:
            errors.append(FieldError(field="notified_on", location="body", message="is in the future"))
        elif data.notified_on < died:
            errors.append(FieldError(field="notified_on", location="body", message="is before the death"))
    return errors


def check_recordable(principal: Principal, data: NotificationCreate, today: date, area_known: bool) -> None:
    """Refuse what may not be recorded, in this order: impossible dates (422), an area that does not
    exist (`area_known` false: 422), an area the caller does not act for (403)."""
    errors = date_errors(data, today)
    if errors:
        raise InvalidInput(errors)
    if not area_known:
        raise invalid_field("area_ods", "no such area")
    if not principal.acts_for_area(data.area_ods):
        raise Forbidden("You may not record notifications for this area.")


def notification_row(principal: Principal, data: NotificationCreate, now: datetime) -> dict[str, Any]:
    """The columns of a new notification: a fresh id, the scope decision (an out-of-scope death is
    recorded closed, with the reason) and the SLA columns as `sla.store_clock` keeps them."""
    today = uk_date(now)
    age = age_in_years(data.person.date_of_birth, data.death.date_of_death)
    decision = assess_scope(
        age_at_death=age,
        learning_disability=data.person.learning_disability_level,
        autism=data.person.autism,
        died_in_england=data.death.died_in_england,
        national_data_opt_out=data.national_data_opt_out,
    )
    dnacpr = data.death.dnacpr
    notified_on = data.notified_on or today
    return {
        "id": uuid.uuid4(),
        "area_ods": data.area_ods,
        "stage": decision.stage,
        "review_route": decision.route,
        "closure_reason": decision.closure_reason,
        "age_at_death": age,
        "notified_on": notified_on,
        "notified_month": notified_on.year * 100 + notified_on.month,
        "received_at": now,
        "created_by": principal.subject,
        "national_data_opt_out": data.national_data_opt_out,
        **data.person.model_dump(),
        **data.death.model_dump(mode="json", include={"place_of_death", "died_in_england", "other_processes"}),
        "date_of_death": data.death.date_of_death,
        "cause_of_death": data.death.cause_of_death.model_dump(mode="json"),
        "dnacpr_in_place": dnacpr.in_place if dnacpr else None,
        "dnacpr_rationale": dnacpr.rationale if dnacpr else None,
        "notifier": data.notifier.model_dump(mode="json"),
        "care_providers": sorted(set(data.care_providers)),
        "stage_changed_at": now,
        **_first_clock(notified_on, today),
    }


@lru_cache(maxsize=1024)
def _first_clock(notified_on: date, today: date) -> ClockColumns:
    # Cached: with no holds and no completion, the clock depends on these two dates alone, and an import's
    # rows share a few hundred of them.
    return clock_columns(notified_on, [], None, today)
