from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.core.inputs import InputModel
from app.flags.detect import FlagKind


class FlagEvidence(BaseModel):
    source: str = Field(description="`mccd_part_1`, `dnacpr_rationale` or `findings_dnacpr_rationale`.")
    line: str | None = Field(description="The certificate line, I(a) to I(d).")
    term: str = Field(description="The condition recognised, in its standard form.")
    matched: str = Field(description="The words or ICD-10 code that matched, as written.")
    text: str = Field(description="The whole line or rationale.")


class FlagPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: FlagKind
    evidence: FlagEvidence
    raised_at: datetime
    dismissed_at: datetime | None
    dismissed_by: str | None
    dismissal_reason: str | None
    withdrawn_at: datetime | None


class FlagDismissal(InputModel):
    reason: str = Field(min_length=1, max_length=2000)
