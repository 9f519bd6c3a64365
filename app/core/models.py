"""Column helpers shared by the domain models."""

from __future__ import annotations

from typing import Any

from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime

# Constraint names are part of the schema: Alembic needs them to alter or drop constraints later, and
# SQLite batch migrations need them to rebuild tables. Set here, before any table class is defined.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ODS_CODE_PATTERN = r"^[A-Z0-9]{3,6}$"


def utc_field(*, nullable: bool = False, index: bool = False, default: Any = ...) -> Any:
    return Field(default=default, sa_type=UTCDateTime, nullable=nullable, index=index)
