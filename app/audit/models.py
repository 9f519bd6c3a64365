from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, FetchedValue, Index, text
from sqlmodel import Field, SQLModel

from app.core.models import utc_field

_UNSEALED = text("chain_seq IS NULL")


class AuditEvent(SQLModel, table=True):
    """One read, write or refused attempt. Append-only: the service never changes what a row says or
    deletes one; the sealer (app/audit/chain.py) only fills in the chain columns, once.

    Holds ids and roles, never personal data: the object is named by its id only.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        # The time-range queries of GET /audit: everyone's (admin), one area's (coordinator).
        Index("ix_audit_event_at", "at", "id"),
        Index("ix_audit_event_area_at", "area", "at", "id"),
        # The sealer's queue: only rows not yet in the chain, so it stays small however long the trail.
        Index("ix_audit_event_unsealed", "tx_order", "id", postgresql_where=_UNSEALED, sqlite_where=_UNSEALED),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_field()
    request_id: str | None = Field(default=None, max_length=64)
    actor: str | None = Field(default=None, max_length=80, index=True)
    role: str | None = Field(default=None, max_length=20)
    area: str | None = Field(default=None, max_length=6)
    action: str = Field(max_length=80)
    object_type: str | None = Field(default=None, max_length=40)
    object_id: str | None = Field(default=None, max_length=64, index=True)
    outcome: str = Field(max_length=20)
    # Commit order: the writing transaction's id on PostgreSQL (a column default set in the migration),
    # 0 on SQLite where the row id already is the commit order.
    tx_order: int | None = Field(
        default=None, sa_type=BigInteger, sa_column_kwargs={"server_default": FetchedValue(), "nullable": False}
    )
    # Set once by the sealer: the row's place in the hash chain (1, 2, 3...), the previous row's hash,
    # and this row's. All null until sealed.
    chain_seq: int | None = Field(default=None, sa_type=BigInteger, unique=True)
    prev_hash: str | None = Field(default=None, max_length=64)
    row_hash: str | None = Field(default=None, max_length=64)
