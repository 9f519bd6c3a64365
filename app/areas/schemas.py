from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

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
