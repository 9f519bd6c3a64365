"""An area's contact details: edited by admin or the area's own coordinator, shown to families and in the
annual report. A missing row reads as version 0 with nothing filled in, so the first PUT sends If-Match "0"."""

from __future__ import annotations

from datetime import datetime

import phonenumbers
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.areas.models import AreaContact
from app.areas.schemas import AreaContactPublic, AreaContactUpdate
from app.areas.service import get_area
from app.audit import service as audit
from app.auth.policy import Action, Role
from app.auth.service import Principal
from app.core.errors import Forbidden
from app.core.etag import PreconditionFailed
from app.core.versioning import claim_version


def _may_manage(principal: Principal, ods_code: str) -> None:
    if principal.role is Role.coordinator and principal.area != ods_code:
        raise Forbidden("Coordinators manage only their own area's contact details.")


async def read(session: AsyncSession, principal: Principal, ods_code: str, now: datetime) -> AreaContactPublic:
    _may_manage(principal, ods_code)
    await get_area(session, ods_code)
    contact = await session.get(AreaContact, ods_code)
    await _audit(session, principal, ods_code, now)
    if contact is None:
        return AreaContactPublic(area_ods=ods_code, email=None, phone=None, postal_address=None, version=0,
                                 updated_at=None)  # fmt: skip
    return AreaContactPublic.model_validate(contact)


async def replace(
    session: AsyncSession, principal: Principal, ods_code: str, data: AreaContactUpdate, version: int, now: datetime
) -> AreaContactPublic:
    _may_manage(principal, ods_code)
    await get_area(session, ods_code)
    contact = await session.get(AreaContact, ods_code)
    if contact is None:
        if version != 0:
            raise PreconditionFailed("This has changed since you read it; read it again.")
        contact = AreaContact(area_ods=ods_code, updated_at=now, updated_by=principal.subject)
        session.add(contact)
        try:
            async with session.begin_nested():  # a parallel first PUT wins once; the other is 412
                await session.flush()
        except IntegrityError:
            raise PreconditionFailed("This has changed since you read it; read it again.") from None
    else:
        await claim_version(session, contact, version)
    contact.email, contact.phone, contact.postal_address = data.email, data.phone, data.postal_address
    contact.updated_at, contact.updated_by = now, principal.subject
    await session.flush()
    await _audit(session, principal, ods_code, now, Action.area_contact_manage.value + ".write")
    return AreaContactPublic.model_validate(contact)


async def _audit(
    session: AsyncSession, principal: Principal, ods_code: str, now: datetime, action: str | None = None
) -> None:
    await audit.record(
        session, principal=principal, action=action or Action.area_contact_manage.value, outcome="allowed", at=now,
        object_type="area", object_ids=[ods_code],
    )  # fmt: skip


async def for_area(session: AsyncSession, ods_code: str) -> AreaContact | None:
    """For the family pages and the annual report (their own checks decide who sees them)."""
    return await session.get(AreaContact, ods_code)


def phone_for_people(e164: str) -> str:
    """0161 234 5678: how a UK number is written for people in the UK."""
    return phonenumbers.format_number(phonenumbers.parse(e164, "GB"), phonenumbers.PhoneNumberFormat.NATIONAL)
