from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StrictBool, model_validator

from app.auth.policy import AREA_ROLES, STAFF_ROLES, Role
from app.core.inputs import InputModel
from app.core.models import ODS_CODE_PATTERN
from app.core.patch import PatchModel


class UserCreate(InputModel):
    role: Role
    area_ods: str | None = Field(default=None, pattern=ODS_CODE_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    email: Annotated[EmailStr, AfterValidator(str.lower)] = Field(max_length=320)
    external_subject: str | None = Field(
        default=None, min_length=1, max_length=255, description="`sub` at the external identity provider."
    )

    @model_validator(mode="after")
    def _role_and_area(self) -> UserCreate:
        if self.role not in STAFF_ROLES:
            raise ValueError("staff users are coordinators, reviewers, national or admin")
        if (self.role in AREA_ROLES) != (self.area_ods is not None):
            raise ValueError("coordinators and reviewers belong to an area; national and admin users do not")
        return self


class UserUpdate(PatchModel):
    NULLABLE = frozenset({"external_subject"})

    active: StrictBool | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    external_subject: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="Bind (or, with null, unbind) the user's `sub` at the external identity provider: whoever "
        "holds that identity acts as this user. Admin only, and audited.",
    )


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    role: Role
    area_ods: str | None
    name: str
    email: str
    active: bool
