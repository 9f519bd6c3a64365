"""The audit chain: every audit row, once committed, is sealed into one hash chain.

Each sealed row carries its place (`chain_seq`: 1, 2, 3...), the previous row's hash (`prev_hash`; a
fixed genesis value for the first) and its own (`row_hash`): SHA-256 over a canonical encoding of its
id, content and `prev_hash`. Changing a row breaks its hash; removing one breaks the next row's link;
putting one in breaks the link of the row after it. `leder audit verify` walks the chain and names
the first such row (app/audit/verify.py).

Rows are sealed after the fact, not as they are written: many request transactions write audit rows
at once, and chaining them at insert time would make every request wait for the one before. The
sealer (the worker, each poll; or `leder audit seal`) takes rows in commit order: on PostgreSQL only
rows of transactions older than every one still running, so a later commit can never slot in behind a
row already sealed; on SQLite writers take turns, so the id is the order. One sealer at a time: a
transaction-level advisory lock on PostgreSQL; SQLite has one writer anyway.

What it does not protect against: anyone who can write to the database can rewrite rows and then
recompute every hash after them, or drop rows from the end; an unkeyed chain only proves it is
consistent with itself. Two things close that gap. Anchoring: `leder audit verify` prints the head
(`chain_seq` and `row_hash`); kept somewhere the database's writers cannot reach (a ticket, a signed
email, another system), `leder audit verify --anchor SEQ:HASH` later proves that everything up to it
is unchanged. Keying: with `LEDER_AUDIT_CHAIN_KEY` set, hashes are HMAC-SHA256 under that key, and
only its holders can forge them (the key must then be the same for the sealer and the verifier, and
for the chain's whole life). Rows not yet sealed are protected by nothing but the database's access
control, which is why the worker seals them every poll; the position (`chain_seq`) is not hashed:
the links fix the order, and leaving it out lets verification tell an inserted row from renumbered
ones.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, literal_column, select, text, true, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.models import AuditEvent
from app.core.config import Settings

GENESIS = "0" * 64
# The sealer's advisory lock: a bigint beyond int4, so it never meets the `hashtext()` keys used elsewhere.
SEAL_LOCK = 0x6C65_6465_725F_6175  # "leder_au"
SEAL_BATCH = 1000

# What a row's hash covers: everything it says, and its link to the row before.
CONTENT = ("id", "at", "request_id", "actor", "role", "area", "action", "object_type", "object_id", "outcome")
COLUMNS = [col(getattr(AuditEvent, name)) for name in (*CONTENT, "chain_seq", "prev_hash", "row_hash")]


def chain_key(settings: Settings) -> bytes | None:
    secret = settings.audit_chain_key
    return secret.get_secret_value().encode() if secret is not None else None


def canonical(row: Mapping[Any, Any], prev_hash: str | None) -> bytes:
    """The bytes hashed for a row: JSON with sorted keys, the time as ISO 8601 UTC to the microsecond."""
    content = {name: row[name] for name in CONTENT}
    at: datetime = row["at"]
    content["at"] = at.astimezone(UTC).isoformat(timespec="microseconds")
    content["prev_hash"] = prev_hash
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def row_hash(row: Mapping[Any, Any], prev_hash: str | None, key: bytes | None) -> str:
    data = canonical(row, prev_hash)
    return hmac.new(key, data, hashlib.sha256).hexdigest() if key else hashlib.sha256(data).hexdigest()


async def seal(session: AsyncSession, limit: int = SEAL_BATCH, key: bytes | None = None) -> int:
    """Seal up to `limit` committed rows onto the end of the chain; returns how many.

    The caller commits, which also lets the next sealer in.
    """
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEAL_LOCK})
    # Read after taking the lock, so the head is the last sealer's committed one.
    seq = col(AuditEvent.chain_seq)
    last = select(seq, col(AuditEvent.row_hash)).where(seq.is_not(None)).order_by(seq.desc()).limit(1)
    head = (await connection.execute(last)).first()
    position, prev_hash = (head[0] or 0, head[1] or GENESIS) if head is not None else (0, GENESIS)
    pending = (
        select(*COLUMNS)
        .where(seq.is_(None), _settled(connection.dialect.name))
        .order_by(col(AuditEvent.tx_order), col(AuditEvent.id))
        .limit(limit)
    )
    sealed = []
    for row in (await connection.execute(pending)).mappings():
        position += 1
        digest = row_hash(row, prev_hash, key)
        sealed.append({"id": row["id"], "chain_seq": position, "prev_hash": prev_hash, "row_hash": digest})
        prev_hash = digest
    if sealed:
        await session.exec(update(AuditEvent), params=sealed)
    return len(sealed)


async def seal_pending(
    sessionmaker: async_sessionmaker[AsyncSession],
    key: bytes | None,
    batch: int = SEAL_BATCH,
    keep_going: Callable[[], bool] = lambda: True,
    between_batches: Callable[[], Awaitable[None]] | None = None,
) -> int:
    """Seal everything committed so far, a batch per transaction (short locks); returns how many."""
    total = 0
    while keep_going():
        async with sessionmaker() as session:
            count = await seal(session, batch, key)
            await session.commit()
        total += count
        if count < batch:
            break
        if between_batches is not None:
            await between_batches()
    return total


def _settled(dialect: str) -> ColumnElement[bool]:
    if dialect != "postgresql":
        return true()
    # Evaluated in the same statement (so the same snapshot) as the rows.
    horizon: ColumnElement[int] = literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
    return col(AuditEvent.tx_order) < horizon
