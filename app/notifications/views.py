"""The integrator client's view of a notification: data minimisation, widened only by scopes granted for it.
Built as a plain dictionary in the shape of `NotificationForIntegrator`, as the other views are
(app/notifications/stored.py says why).

`notifications:read` gives what keeping another system in step needs (NHS number, area, stage, months, the SLA
state, flags as kinds). Each further block (days, identity, clinical detail, the review's working) needs its own
scope, which a client is granted explicitly; the table is in docs/integrators.md, "Scopes".
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.auth.policy import Scope
from app.auth.service import Principal
from app.flags.models import BiasFlag
from app.flags.schemas import FlagEvidence
from app.notifications import stored
from app.notifications.enums import PlaceOfDeath
from app.notifications.models import Notification
from app.notifications.schemas import FlagWithEvidence, HoldSummary
from app.reviews.models import Hold
from app.reviews.service import focused_review
from app.sla import service as sla
from app.sla.clock import Sla


def month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"  # strftime writes year 1 as "1"


def _open(flag: BiasFlag) -> bool:
    return flag.dismissed_at is None and flag.withdrawn_at is None


def for_integrator(
    principal: Principal, notification: Notification, holds: list[Hold], flags: list[BiasFlag], clocks: Sla | None
) -> dict[str, Any]:
    """In the shape of `NotificationForIntegrator`, as a plain dictionary (see app/notifications/stored.py)."""
    scopes = principal.scopes
    current_hold = next((h for h in holds if h.ended_at is None), None)
    return {
        **stored.case(notification),
        "version": notification.version,
        "nhs_number": notification.nhs_number,
        "notified_month": month(notification.notified_on),
        "due_month": month(clocks.hold_adjusted.due_on) if clocks else None,
        "sla_state": clocks.hold_adjusted.state if clocks else None,
        "flags": sorted({f.kind for f in flags if _open(f)}),
        "dates": _dates(notification, current_hold, clocks) if Scope.notifications_dates in scopes else None,
        "identity": _identity(notification) if Scope.notifications_identity in scopes else None,
        "clinical": _clinical(notification, flags) if Scope.notifications_clinical in scopes else None,
        "review": _review(notification, current_hold) if Scope.notifications_review in scopes else None,
    }


def _dates(notification: Notification, hold: Hold | None, clocks: Sla | None) -> dict[str, Any]:
    return {
        "notified_on": notification.notified_on,
        "received_at": notification.received_at,
        "stage_changed_at": notification.stage_changed_at,
        "sla": sla.sla_document(clocks) if clocks else None,
        "hold_started_on": hold.started_on if hold else None,
        "hold_expected_end_on": hold.expected_end_on if hold else None,
    }


def _identity(notification: Notification) -> dict[str, Any]:
    return {
        "person": stored.person(notification),
        "date_of_death": notification.date_of_death,
        "age_at_death": notification.age_at_death,
        "notifier": stored.notifier(notification),
        "national_data_opt_out": notification.national_data_opt_out,
    }


def _clinical(notification: Notification, flags: list[BiasFlag]) -> dict[str, Any]:
    return {
        "place_of_death": stored.member(PlaceOfDeath, notification.place_of_death),
        "died_in_england": notification.died_in_england,
        "cause_of_death": stored.cause_of_death(notification),
        "dnacpr": stored.dnacpr(notification),
        "other_processes": stored.other_processes(notification),
        "flags": [
            FlagWithEvidence(
                id=f.id, kind=f.kind, evidence=FlagEvidence.model_validate(f.evidence), open=_open(f)
            ).model_dump()
            for f in flags
        ],
    }


def _review(notification: Notification, hold: Hold | None) -> dict[str, Any]:
    focused = focused_review(notification)
    summary = {"required": focused.required, "reasons": focused.reasons, "outstanding": focused.outstanding}
    return {
        "reviewer_id": notification.reviewer_id,
        "care_providers": notification.care_providers,
        "focused_review": {**summary, "done": focused.done},
        "hold": HoldSummary.model_validate(hold, from_attributes=True).model_dump() if hold else None,
    }
