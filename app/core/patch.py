"""Partial updates (PATCH): a field left out stays as it is; null is refused unless the field may be empty."""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import model_validator

from app.core.inputs import InputModel


class PatchModel(InputModel):
    # Fields that may be cleared by sending null.
    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _refuse_nulls(self) -> Self:
        for name in sorted(self.model_fields_set - self.NULLABLE):
            if getattr(self, name) is None:
                raise ValueError(f"{name} may be left out, but not set to null")
        return self
