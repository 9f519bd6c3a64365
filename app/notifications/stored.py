"""The parts of a notification's view that repeat what a caller once sent, rebuilt from the stored row.

They were validated on the way in; validating them again on every read (the control-character check of every
string, the NHS number's checksum, the past-date rules) was most of the cost of a list of 50. `model_construct`
builds them as they are, turning stored strings back into the enums the schema names, so they serialise
exactly as a validated model would. A row that no longer fits (an enum value since removed) raises here, and a
list leaves that one row out as it would on a validation error (service.to_views).
"""

from __future__ import annotations

from typing import Any

from app.notifications.enums import (
    EthnicCategory,
    LearningDisabilityLevel,
    OtherProcess,
    PlaceOfDeath,
    Sex,
)
from app.notifications.models import Notification
from app.notifications.schemas import CauseLine, CauseOfDeath, Death, Dnacpr, Notifier, Person

# Stored value to member: a dictionary lookup, several times cheaper than calling the enum (KeyError if unknown).
_SEX: dict[str, Sex] = {member.value: member for member in Sex}
_ETHNIC_CATEGORY: dict[str, EthnicCategory] = {member.value: member for member in EthnicCategory}
_LEARNING_DISABILITY_LEVEL: dict[str, LearningDisabilityLevel] = {
    member.value: member for member in LearningDisabilityLevel
}
_PLACE_OF_DEATH: dict[str, PlaceOfDeath] = {member.value: member for member in PlaceOfDeath}
_OTHER_PROCESS: dict[str, OtherProcess] = {member.value: member for member in OtherProcess}


def person(notification: Notification) -> Person:
    return Person.model_construct(
        nhs_number=notification.nhs_number,
        given_name=notification.given_name,
        family_name=notification.family_name,
        date_of_birth=notification.date_of_birth,
        sex=_SEX[notification.sex],
        ethnic_category=_ETHNIC_CATEGORY[notification.ethnic_category],
        learning_disability_level=_LEARNING_DISABILITY_LEVEL[notification.learning_disability_level],
        autism=notification.autism,
        lived_alone=notification.lived_alone,
        out_of_area_placement=notification.out_of_area_placement,
    )


def notifier(notification: Notification) -> Notifier:
    stored = notification.notifier
    return Notifier.model_construct(
        name=stored["name"],
        role=stored["role"],
        organisation=stored["organisation"],
        organisation_ods=stored.get("organisation_ods"),
        contact=stored["contact"],
    )


def dnacpr(notification: Notification) -> Dnacpr | None:
    if notification.dnacpr_in_place is None and notification.dnacpr_rationale is None:
        return None
    return Dnacpr.model_construct(in_place=notification.dnacpr_in_place, rationale=notification.dnacpr_rationale)


def cause_of_death(notification: Notification) -> CauseOfDeath:
    stored = notification.cause_of_death
    return CauseOfDeath.model_construct(
        part_1=[_line(line) for line in stored["part_1"]],
        part_2=[_line(line) for line in stored.get("part_2", [])],
    )


def death(notification: Notification) -> Death:
    return Death.model_construct(
        date_of_death=notification.date_of_death,
        place_of_death=_PLACE_OF_DEATH[notification.place_of_death],
        died_in_england=notification.died_in_england,
        cause_of_death=cause_of_death(notification),
        dnacpr=dnacpr(notification),
        other_processes=other_processes(notification),
    )


def other_processes(notification: Notification) -> list[OtherProcess]:
    return [_OTHER_PROCESS[process] for process in notification.other_processes]


def _line(line: dict[str, Any]) -> CauseLine:
    return CauseLine.model_construct(text=line["text"], icd10=line.get("icd10"))
