"""The parts of a notification's view that repeat what a caller once sent, rebuilt from the stored row.

They were validated on the way in; validating them again on every read (the control-character check of every
string, the NHS number's checksum, the past-date rules) was most of the cost of a list of 50, and building
pydantic models even without validation most of the rest. So they are plain dictionaries in the shape of the
schema's `Person`, `Death` and `Notifier` (app/notifications/schemas.py, which documents them; a test holds each
view to its model), with stored strings turned back into the enums the schema names. A row that no longer fits
(an enum value since removed) raises here, and a list leaves that one row out as it would on a validation error
(service.to_views).
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import Any, TypeVar, cast

from app.notifications.enums import (
    ClosureReason,
    EthnicCategory,
    LearningDisabilityLevel,
    OtherProcess,
    PlaceOfDeath,
    ReviewRoute,
    Sex,
    Stage,
)
from app.notifications.models import Notification

E = TypeVar("E", bound=StrEnum)


@cache
def _members(kind: type[E]) -> dict[str, E]:
    return {member.value: member for member in kind}


def member(kind: type[E], value: str) -> E:
    """The member of `kind` a stored string names: a dictionary lookup, several times cheaper than calling the
    enum (KeyError if unknown)."""
    return cast(E, _members(kind)[value])  # functools.cache keeps no type parameters


def case(notification: Notification) -> dict[str, Any]:
    """What every view of a notification begins with: which case it is, where, and at what stage."""
    reason = notification.closure_reason
    return {
        "id": notification.id,
        "area_ods": notification.area_ods,
        "stage": member(Stage, notification.stage),
        "review_route": member(ReviewRoute, notification.review_route),
        "closure_reason": None if reason is None else member(ClosureReason, reason),
    }


def person(notification: Notification) -> dict[str, Any]:
    return {
        "nhs_number": notification.nhs_number,
        "given_name": notification.given_name,
        "family_name": notification.family_name,
        "date_of_birth": notification.date_of_birth,
        "sex": member(Sex, notification.sex),
        "ethnic_category": member(EthnicCategory, notification.ethnic_category),
        "learning_disability_level": member(LearningDisabilityLevel, notification.learning_disability_level),
        "autism": notification.autism,
        "lived_alone": notification.lived_alone,
        "out_of_area_placement": notification.out_of_area_placement,
    }


def notifier(notification: Notification) -> dict[str, Any]:
    stored = notification.notifier
    return {
        "name": stored["name"],
        "role": stored["role"],
        "organisation": stored["organisation"],
        "organisation_ods": stored.get("organisation_ods"),
        "contact": stored["contact"],
    }


def dnacpr(notification: Notification) -> dict[str, Any] | None:
    if notification.dnacpr_in_place is None and notification.dnacpr_rationale is None:
        return None
    return {"in_place": notification.dnacpr_in_place, "rationale": notification.dnacpr_rationale}


def cause_of_death(notification: Notification) -> dict[str, Any]:
    stored = notification.cause_of_death
    return {
        "part_1": [_line(line) for line in stored["part_1"]],
        "part_2": [_line(line) for line in stored.get("part_2", [])],
    }


def death(notification: Notification) -> dict[str, Any]:
    return {
        "date_of_death": notification.date_of_death,
        "place_of_death": member(PlaceOfDeath, notification.place_of_death),
        "died_in_england": notification.died_in_england,
        "cause_of_death": cause_of_death(notification),
        "dnacpr": dnacpr(notification),
        "other_processes": other_processes(notification),
    }


def other_processes(notification: Notification) -> list[OtherProcess]:
    return [member(OtherProcess, process) for process in notification.other_processes]


def _line(line: dict[str, Any]) -> dict[str, Any]:
    return {"text": line["text"], "icd10": line.get("icd10")}
