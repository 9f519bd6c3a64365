"""Verifying the audit chain (see app/audit/chain.py): walk it in order, name the first broken row.

Reads only, a chunk at a time: a trail of millions of rows is never all in memory.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.chain import COLUMNS, GENESIS, row_hash
from app.audit.models import AuditEvent

VERIFY_CHUNK = 1000
_ANCHOR = re.compile(r"^(\d{1,18}):([0-9a-f]{64})$")

# A row as read (a RowMapping), or any mapping of its column names (unit tests).
Row = Mapping[Any, Any]


class Fault(StrEnum):
    altered = "altered"  # the row's content no longer matches its hash
    removed = "removed"  # rows before this one are missing from the chain
    inserted = "inserted"  # the row was never sealed into the chain where it stands


@dataclass(frozen=True)
class Break:
    fault: Fault
    row_id: int | None
    chain_seq: int | None
    detail: str


@dataclass(frozen=True)
class Anchor:
    """A head published earlier (`SEQ:HASH`): the chain must still hold that hash at that place."""

    chain_seq: int
    row_hash: str

    @classmethod
    def parse(cls, text: str) -> Anchor:
        found = _ANCHOR.match(text.strip().lower())
        if found is None:
            raise ValueError("an anchor is CHAIN_SEQ:ROW_HASH, as `leder audit verify` prints the head")
        return cls(int(found[1]), found[2])


@dataclass(frozen=True)
class Verification:
    checked: int  # sealed rows found intact, from the start
    unsealed: int  # rows not yet in the chain (the worker seals them)
    head_seq: int
    head_hash: str
    broken: Break | None = None


def check(row: Row, following: Row | None, prev: Row | None, key: bytes | None) -> Break | None:
    """Is `row` where the chain says it belongs, after `prev` (the last good row; none at the start)?

    `following` (the next row, if any) tells an inserted row from the rest: the row after an inserted
    one still links to the row before it.
    """
    expected_prev = prev["row_hash"] if prev is not None else GENESIS
    expected_seq = prev["chain_seq"] + 1 if prev is not None else 1
    here = (row["id"], row["chain_seq"])
    if following is not None and following["prev_hash"] == expected_prev:
        return Break(Fault.inserted, *here, "the row after it links to the row before it")
    if row_hash(row, row["prev_hash"], key) != row["row_hash"]:
        return Break(Fault.altered, *here, "its content does not match its hash")
    if row["prev_hash"] != expected_prev:
        return Break(Fault.removed, *here, f"the row it was sealed after is not before it ({_gap(expected_seq, row)})")
    if row["chain_seq"] != expected_seq:
        return Break(Fault.inserted, *here, f"numbered {row['chain_seq']} where {expected_seq} comes next")
    return None


def _gap(expected_seq: int, row: Row) -> str:
    last_missing = row["chain_seq"] - 1
    if last_missing < expected_seq:
        return "removed or replaced"
    if last_missing == expected_seq:
        return f"chain_seq {expected_seq} missing"
    return f"chain_seq {expected_seq} to {last_missing} missing"


async def verify(
    session: AsyncSession, key: bytes | None, anchor: Anchor | None = None, chunk: int = VERIFY_CHUNK
) -> Verification:
    """Walk the sealed rows in chain order; stop at the first break. Seals nothing."""
    connection = await session.connection()
    unsealed_query = select(func.count()).select_from(AuditEvent).where(col(AuditEvent.chain_seq).is_(None))
    unsealed = int((await connection.execute(unsealed_query)).scalar_one())
    prev: Row | None = None
    checked, anchored = 0, False
    async with aclosing(_sealed(connection, chunk)) as rows:
        row = await anext(rows, None)
        while row is not None:
            following = await anext(rows, None)
            broken = check(row, following, prev, key)
            if broken is None and anchor is not None and row["chain_seq"] == anchor.chain_seq:
                anchored = True
                if row["row_hash"] != anchor.row_hash:
                    broken = Break(Fault.altered, row["id"], row["chain_seq"], "the chain up to here was rewritten")
            if broken is not None:
                broken = await _sharpen(connection, broken, row, following, key)
                return Verification(checked, unsealed, *_head(prev), broken)
            prev, row = row, following
            checked += 1
    if anchor is not None and not anchored:
        broken = Break(
            Fault.removed,
            prev["id"] if prev is not None else None,
            prev["chain_seq"] if prev is not None else None,
            f"the chain ends before the anchored row {anchor.chain_seq}: rows were removed from its end",
        )
        return Verification(checked, unsealed, *_head(prev), broken)
    return Verification(checked, unsealed, *_head(prev))


async def _sharpen(
    connection: AsyncConnection, broken: Break, row: Row, following: Row | None, key: bytes | None
) -> Break:
    """Name the right row with one look at the whole table (once, on a break, so it may scan)."""
    if broken.fault is Fault.removed and row["prev_hash"] is not None:
        # Sealed after a row that stands elsewhere in the chain: put here, not left by a removal.
        other = await _id_where(connection, col(AuditEvent.row_hash) == row["prev_hash"])
        if other is not None:
            return Break(Fault.inserted, row["id"], row["chain_seq"], f"it was sealed after row {other}, elsewhere")
    if (
        broken.fault is Fault.inserted
        and following is not None
        and following["prev_hash"] == row["prev_hash"]
        and row_hash(row, row["prev_hash"], key) == row["row_hash"]
    ):
        # Two rows claim one place: the genuine one is the one the chain goes on from.
        successor = await _id_where(connection, col(AuditEvent.prev_hash) == row["row_hash"])
        if successor is not None:
            detail = f"it claims the place of row {row['id']}, which the chain goes on from"
            return Break(Fault.inserted, following["id"], following["chain_seq"], detail)
    return broken


async def _id_where(connection: AsyncConnection, condition: ColumnElement[bool]) -> int | None:
    found = (await connection.execute(select(col(AuditEvent.id)).where(condition).limit(1))).scalar()
    return int(found) if found is not None else None


def _head(prev: Row | None) -> tuple[int, str]:
    return (prev["chain_seq"], prev["row_hash"]) if prev is not None else (0, GENESIS)


async def _sealed(connection: AsyncConnection, chunk: int) -> AsyncGenerator[Row]:
    """Sealed rows in chain order, by keyset chunks (no lower bound at first: a forged 0 is a row too)."""
    seq = col(AuditEvent.chain_seq)
    after: int | None = None
    while True:
        query = select(*COLUMNS).where(seq.is_not(None) if after is None else seq > after)
        batch = (await connection.execute(query.order_by(seq).limit(chunk))).mappings().all()
        for row in batch:
            yield row
        if len(batch) < chunk:
            return
        after = batch[-1]["chain_seq"]
