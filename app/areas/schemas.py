from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from app.core.inputs import InputModel
from app.core.models import ODS_CODE_PATTERN
from app.core.patch import PatchModel


class AreaCreate(InputModel):
    ods_code: str = Field(pattern=ODS_CODE_PATTERN, description="ODS code, e.g. `15F`.")
    name: str = Field(min_length=1, max_length=200)
    region: str | None = Field(default=None, min_length=1, max_length=100)


class AreaUpdate(PatchModel):
    NULLABLE = frozenset({"region"})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    region: str | None = Field(default=None, min_length=1, max_length=100)


class AreaPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    ods_code: str
    name: str
    region: str | None


def _phone_e164(value: str | None) -> str | None:
    """A UK number as people write it (0161 234 5678, +44 ...), kept as E.164; anything else is refused."""
    if value is None:
        return None
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        raise ValueError("not a telephone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid telephone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _plain_lines(value: str | None) -> str | None:
    """An address on several lines: no other control characters, no blank lines kept."""
    if value is None:
        return None
    value = value.replace("\r\n", "\n")
    if any(unicodedata.category(c) == "Cc" and c != "\n" for c in value):
        raise ValueError("control characters are not allowed")
    lines = [line.strip() for line in value.split("\n") if line.strip()]
    if not lines or len(lines) > 8:
        raise ValueError("write the address on one to eight lines")
    return "\n".join(lines)


class AreaContactUpdate(InputModel):
    """The whole contact: send every field (null to leave one out)."""

    email: EmailStr | None = Field(max_length=254, examples=["leder.team@example.nhs.uk"])
    phone: Annotated[str | None, AfterValidator(_phone_e164)] = Field(
        min_length=3, max_length=30, examples=["0161 234 5678"], description="A UK number; stored as E.164."
    )
    postal_address: Annotated[str | None, AfterValidator(_plain_lines)] = Field(min_length=3, max_length=500)


class AreaContactPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    area_ods: str
    email: str | None
    phone: str | None = Field(description="E.164")
    postal_address: str | None = Field(description="Lines separated by newlines.")
    version: int
    updated_at: datetime | None
