"""The audit chain against a real database: sealed in commit order, and every tampering found at its row.

Tampering is done the way an intruder would: SQL straight at the table, past the service.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import create_engine, func, text
from sqlmodel import col, select
from typer.testing import CliRunner

from app.audit import service as audit
from app.audit.chain import GENESIS, chain_key, row_hash, seal, seal_pending
from app.audit.models import AuditEvent
from app.audit.verify import Anchor, Fault, verify
from app.cli import cli
from app.core.db import create_engine as create_async_engine
from app.core.db import create_sessionmaker
from app.worker.runner import Worker
from tests.conftest import POSTGRES_URL, START, TEST_SECRET, make_settings

postgres_only = pytest.mark.skipif(not POSTGRES_URL, reason="SQLite has one writer at a time")
# PostgreSQL seals only what is older than every transaction running in the whole cluster, so another
# database's long transaction (someone's benchmark) can hold sealing back: wait for it, within reason.
HORIZON_WAIT = 120


@pytest.fixture
def sessionmaker(world):
    return world.app.state.sessionmaker


async def write(sessionmaker, rows=1, action="notification.read"):
    """Audit rows in one transaction of their own, as a request writes them."""
    async with sessionmaker() as session:
        ids = [str(uuid.uuid4()) for _ in range(rows)]
        await audit.record(session, principal=None, action=action, outcome="allowed", at=START, object_ids=ids)
        await session.commit()


async def unsealed(sessionmaker) -> int:
    async with sessionmaker() as session:
        return (await session.exec(select(func.count()).where(col(AuditEvent.chain_seq).is_(None)))).one()


async def seal_all(sessionmaker, key=None):
    """Seal until nothing committed is left (see HORIZON_WAIT)."""
    deadline = time.monotonic() + HORIZON_WAIT
    while await seal_pending(sessionmaker, key) or await unsealed(sessionmaker):
        assert time.monotonic() < deadline, "rows stayed unsealed"
        await asyncio.sleep(0.05)


async def settled(sessionmaker, rows):
    """PostgreSQL: wait until `rows` unsealed rows are older than every running transaction (the
    horizon only moves on, so a sealer will then take them)."""
    query = text(
        "SELECT count(*) FROM audit_event"
        " WHERE chain_seq IS NULL AND tx_order < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
    )
    deadline = time.monotonic() + HORIZON_WAIT
    while True:
        async with sessionmaker() as session:
            if (await session.exec(query)).scalar_one() == rows:
                return
        assert time.monotonic() < deadline, "rows stayed behind the horizon"
        await asyncio.sleep(0.05)


async def check(sessionmaker, key=None, anchor=None, chunk=2):
    # Small chunks, so the walk crosses chunk boundaries (and looks ahead across them).
    async with sessionmaker() as session:
        return await verify(session, key, anchor, chunk=chunk)


async def chain(sessionmaker) -> list[AuditEvent]:
    async with sessionmaker() as session:
        query = select(AuditEvent).where(col(AuditEvent.chain_seq).is_not(None)).order_by(col(AuditEvent.chain_seq))
        return list((await session.exec(query)).all())


async def tamper(sessionmaker, statement, **params):
    async with sessionmaker() as session:
        await session.exec(text(statement), params=params)
        await session.commit()


@pytest.fixture
async def sealed(sessionmaker):
    """Six rows written in three transactions, all sealed."""
    for count in (2, 1, 3):
        await write(sessionmaker, count)
    await seal_all(sessionmaker)
    rows = await chain(sessionmaker)
    assert len(rows) == 6
    return rows


async def test_sealed_rows_link_up_and_verify_intact(sessionmaker, sealed):
    assert [r.chain_seq for r in sealed] == [1, 2, 3, 4, 5, 6]
    assert [r.id for r in sealed] == sorted(r.id for r in sealed)  # one writer at a time here: id order
    assert sealed[0].prev_hash == GENESIS
    assert all(later.prev_hash == earlier.row_hash for earlier, later in itertools.pairwise(sealed))

    result = await check(sessionmaker)
    assert (result.broken, result.checked, result.unsealed) == (None, 6, 0)
    assert (result.head_seq, result.head_hash) == (6, sealed[-1].row_hash)
    assert await seal_pending(sessionmaker, None) == 0  # nothing is sealed twice


async def test_an_empty_trail_verifies(sessionmaker):
    result = await check(sessionmaker)
    assert (result.broken, result.checked, result.head_seq, result.head_hash) == (None, 0, 0, GENESIS)


async def test_rows_not_yet_sealed_are_counted_not_checked(sessionmaker, sealed):
    await write(sessionmaker, 2)
    result = await check(sessionmaker)
    assert (result.broken, result.checked, result.unsealed) == (None, 6, 2)
    await seal_all(sessionmaker)
    assert (await check(sessionmaker)).checked == 8


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("outcome", "'denied'"),
        ("actor", "'user:someone-else'"),
        ("object_id", "NULL"),
        ("action", "'notification.create'"),
    ],
)
async def test_an_altered_row_is_reported_at_that_row(sessionmaker, sealed, column, value):
    victim = sealed[2]
    await tamper(sessionmaker, f"UPDATE audit_event SET {column} = {value} WHERE id = :id", id=victim.id)  # noqa: S608
    result = await check(sessionmaker)
    assert result.broken is not None
    assert (result.broken.fault, result.broken.row_id, result.broken.chain_seq) == (Fault.altered, victim.id, 3)
    assert result.checked == 2


async def test_a_moved_timestamp_is_an_alteration(sessionmaker, sealed):
    async with sessionmaker() as session:
        row = await session.get(AuditEvent, sealed[4].id)
        assert row is not None
        row.at = row.at.replace(microsecond=1)
        await session.commit()
    result = await check(sessionmaker)
    assert result.broken is not None and (result.broken.fault, result.broken.row_id) == (Fault.altered, sealed[4].id)


@pytest.mark.parametrize("removed", [0, 2])
async def test_a_removed_row_is_reported_at_the_next_one(sessionmaker, sealed, removed):
    await tamper(sessionmaker, "DELETE FROM audit_event WHERE id = :id", id=sealed[removed].id)
    result = await check(sessionmaker)
    assert result.broken is not None
    following = sealed[removed + 1]
    assert (result.broken.fault, result.broken.row_id) == (Fault.removed, following.id)
    assert f"(chain_seq {removed + 1} missing)" in result.broken.detail


async def test_a_removal_hidden_by_renumbering_is_still_found(sessionmaker, sealed):
    await tamper(sessionmaker, "DELETE FROM audit_event WHERE id = :id", id=sealed[2].id)
    await tamper(sessionmaker, "UPDATE audit_event SET chain_seq = -chain_seq WHERE chain_seq > 3")
    await tamper(sessionmaker, "UPDATE audit_event SET chain_seq = -chain_seq - 1 WHERE chain_seq < 0")
    result = await check(sessionmaker)
    assert result.broken is not None
    assert (result.broken.fault, result.broken.row_id, result.broken.chain_seq) == (Fault.removed, sealed[3].id, 3)


async def forge(sessionmaker, chain_seq, prev_hash, digest=None) -> int:
    """A row written straight into the table as if sealed: with a correct hash unless told otherwise."""
    forged: dict[str, Any] = {
        "at": START, "request_id": None, "actor": "user:forger", "role": "admin", "area": None,
        "action": "notification.read", "object_type": None, "object_id": None, "outcome": "allowed",
    }  # fmt: skip
    async with sessionmaker() as session:
        row = AuditEvent(**forged)
        session.add(row)
        await session.flush()
        assert row.id is not None
        digest = digest or row_hash({"id": row.id, **forged}, prev_hash, None)
        row.chain_seq, row.prev_hash, row.row_hash = chain_seq, prev_hash, digest
        await session.commit()
        return row.id


async def test_a_row_slipped_into_the_middle_is_reported(sessionmaker, sealed):
    # Make room at 3 (the rows after it move up one), then put a well-formed row there.
    await tamper(sessionmaker, "UPDATE audit_event SET chain_seq = -chain_seq WHERE chain_seq >= 3")
    await tamper(sessionmaker, "UPDATE audit_event SET chain_seq = -chain_seq + 1 WHERE chain_seq < 0")
    forged = await forge(sessionmaker, 3, sealed[1].row_hash)
    result = await check(sessionmaker)
    assert result.broken is not None
    assert (result.broken.fault, result.broken.row_id, result.broken.chain_seq) == (Fault.inserted, forged, 3)


async def test_a_row_claiming_a_genuine_rows_place_is_the_one_reported(sessionmaker, sealed):
    # Room at 4; the forged row there claims to follow row 2, as the genuine row 3 does.
    await tamper(sessionmaker, "UPDATE audit_event SET chain_seq = -chain_seq WHERE chain_seq >= 4")
    await tamper(sessionmaker, "UPDATE audit_event SET chain_seq = -chain_seq + 1 WHERE chain_seq < 0")
    forged = await forge(sessionmaker, 4, sealed[1].row_hash)
    result = await check(sessionmaker)
    assert result.broken is not None
    assert (result.broken.fault, result.broken.row_id, result.broken.chain_seq) == (Fault.inserted, forged, 4)
    assert f"row {sealed[2].id}" in result.broken.detail


async def test_a_row_added_after_the_head_but_linked_elsewhere_is_reported(sessionmaker, sealed):
    forged = await forge(sessionmaker, 7, sealed[0].row_hash)
    result = await check(sessionmaker)
    assert result.broken is not None
    assert (result.broken.fault, result.broken.row_id) == (Fault.inserted, forged)
    assert f"row {sealed[0].id}" in result.broken.detail


async def test_a_row_out_of_sequence_is_reported(sessionmaker, sealed):
    forged = await forge(sessionmaker, 9, sealed[-1].row_hash)
    result = await check(sessionmaker)
    assert result.broken is not None
    assert (result.broken.fault, result.broken.row_id) == (Fault.inserted, forged)
    assert result.checked == 6


async def test_a_rewritten_chain_passes_alone_and_fails_against_its_anchor(sessionmaker, sealed):
    head = await check(sessionmaker)
    anchor = Anchor.parse(f"{head.head_seq}:{head.head_hash}")
    assert (await check(sessionmaker, anchor=anchor)).broken is None

    # An intruder who knows the scheme changes a row and recomputes every hash after it.
    await tamper(sessionmaker, "UPDATE audit_event SET outcome = 'denied' WHERE id = :id", id=sealed[1].id)
    async with sessionmaker() as session:
        rows = (await session.exec(select(AuditEvent).order_by(col(AuditEvent.chain_seq)))).all()
        prev = GENESIS
        for row in rows:
            row.prev_hash, row.row_hash = prev, row_hash(row.model_dump(), prev, None)
            prev = row.row_hash
        await session.commit()
    assert (await check(sessionmaker)).broken is None  # an unkeyed chain only proves it agrees with itself
    result = await check(sessionmaker, anchor=anchor)
    assert result.broken is not None
    assert (result.broken.fault, result.broken.row_id) == (Fault.altered, sealed[-1].id)


async def test_rows_cut_from_the_end_are_found_against_an_anchor(sessionmaker, sealed):
    head = await check(sessionmaker)
    await tamper(sessionmaker, "DELETE FROM audit_event WHERE chain_seq > 4")
    assert (await check(sessionmaker)).broken is None  # the shorter chain is consistent with itself
    result = await check(sessionmaker, anchor=Anchor(head.head_seq, head.head_hash))
    assert result.broken is not None
    assert (result.broken.fault, result.broken.row_id) == (Fault.removed, sealed[3].id)


async def test_a_keyed_chain_verifies_only_with_its_key(sessionmaker):
    await write(sessionmaker, 3)
    await seal_all(sessionmaker, key=b"k" * 32)
    assert (await check(sessionmaker, key=b"k" * 32)).broken is None
    wrong = await check(sessionmaker, key=None)
    assert wrong.broken is not None and wrong.broken.fault is Fault.altered


async def test_the_worker_seals_every_poll(settings, clock, sessionmaker):
    await write(sessionmaker, 3)
    deadline = time.monotonic() + HORIZON_WAIT
    while await unsealed(sessionmaker):
        assert time.monotonic() < deadline, "the worker left rows unsealed"
        await Worker(settings, clock).run(once=True)
    assert (await check(sessionmaker)).checked == 3


@postgres_only
async def test_a_row_is_not_sealed_while_an_older_transaction_is_still_running(sessionmaker):
    async with sessionmaker() as older:
        await audit.record(older, principal=None, action="older", outcome="allowed", at=START)
        await older.flush()  # holds a transaction id, not yet committed
        await write(sessionmaker, 1, action="newer")
        async with sessionmaker() as session:
            assert await seal(session) == 0  # the newer row waits: the older one may still land before it
            await session.commit()
        await older.commit()
    await seal_all(sessionmaker)
    assert [r.action for r in await chain(sessionmaker)] == ["older", "newer"]


@postgres_only
async def test_a_second_sealer_waits_for_the_first_to_commit(sessionmaker):
    await write(sessionmaker, 3)
    await seal_all(sessionmaker)  # rows 1 to 3; then three more for the two sealers to share
    await write(sessionmaker, 3)
    await settled(sessionmaker, 3)
    async with sessionmaker() as first:
        assert await seal(first, limit=2) == 2  # holds the lock until it commits

        async def second() -> int:
            async with sessionmaker() as session:
                count = await seal(session)
                await session.commit()
                return count

        waiting = asyncio.create_task(second())
        query = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        queued = 0
        for _ in range(600):  # until the second sealer queues on the first one's lock (at most 30 s)
            async with sessionmaker() as observer:
                queued = (await observer.exec(query)).scalar_one()
            if queued:
                break
            await asyncio.sleep(0.05)
        assert queued == 1  # queued on the sealer's lock, nothing else
        assert not waiting.done()
        await first.commit()
    assert await waiting == 1  # it carried on from the first one's head, not from where it began
    assert [r.chain_seq for r in await chain(sessionmaker)] == [1, 2, 3, 4, 5, 6]
    assert (await check(sessionmaker)).broken is None


async def test_concurrent_writers_and_sealers_build_one_unbroken_chain(sessionmaker):
    async def writer():
        for _ in range(5):
            await write(sessionmaker, 2)

    async def sealer():
        for _ in range(10):
            await seal_pending(sessionmaker, None, batch=3)
            await asyncio.sleep(0)

    await asyncio.gather(*(writer() for _ in range(4)), *(sealer() for _ in range(4)))
    await seal_all(sessionmaker)
    sequence = [r.chain_seq for r in await chain(sessionmaker)]
    assert sequence == list(range(1, 41))  # unique by constraint, and no gaps
    assert (await check(sessionmaker, chunk=7)).broken is None


# The `leder audit` commands, through their entry point.


@pytest.fixture
def run(settings, monkeypatch):
    monkeypatch.setenv("LEDER_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("LEDER_SECRET_KEY", TEST_SECRET)
    if POSTGRES_URL:
        monkeypatch.setenv("LEDER_DATABASE_URL", POSTGRES_URL)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args))


def write_rows(settings, rows):
    async def go():
        engine = create_async_engine(settings)
        try:
            await write(create_sessionmaker(engine), rows)
        finally:
            await engine.dispose()

    asyncio.run(go())


def test_operator_seals_verifies_anchors_and_finds_tampering(run, settings):
    write_rows(settings, 4)
    deadline = time.monotonic() + HORIZON_WAIT
    while "0 not yet sealed" not in (intact := run("audit", "verify")).stdout:
        assert time.monotonic() < deadline, intact.stdout
        assert re.fullmatch(r"sealed \d+ audit rows\n", run("audit", "seal").stdout)
    assert intact.exit_code == 0, intact.output
    assert intact.stdout.startswith("audit chain intact: 4 rows; 0 not yet sealed\nhead: 4:")
    head = intact.stdout.split("head: ")[1].strip()
    assert run("audit", "verify", "--anchor", head).exit_code == 0

    write_rows(settings, 1)
    assert "audit chain intact: 4 rows; 1 not yet sealed" in run("audit", "verify").stdout

    engine = create_engine(settings.sync_database_url)
    with engine.begin() as connection:
        victim = connection.execute(text("SELECT id FROM audit_event WHERE chain_seq = 2")).scalar_one()
        connection.execute(text("UPDATE audit_event SET outcome = 'denied' WHERE id = :id"), {"id": victim})
    engine.dispose()
    broken = run("audit", "verify")
    assert broken.exit_code == 1
    assert f"audit chain broken at row {victim} (chain_seq 2): altered" in broken.stdout


@pytest.mark.parametrize("command", [["audit"], ["audit", "seal"], ["audit", "verify"]])
def test_the_audit_commands_have_help(run, command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_a_malformed_anchor_is_refused(run):
    result = run("audit", "verify", "--anchor", "12:not-a-hash")
    assert result.exit_code == 2
    assert "--anchor" in result.output


def test_the_cli_uses_the_configured_chain_key(run, settings, monkeypatch):
    monkeypatch.setenv("LEDER_AUDIT_CHAIN_KEY", "a-key-kept-away-from-the-database")
    write_rows(settings, 2)
    deadline = time.monotonic() + HORIZON_WAIT
    while "0 not yet sealed" not in (keyed := run("audit", "verify")).stdout:
        assert time.monotonic() < deadline, keyed.stdout
        assert run("audit", "seal").exit_code == 0
    assert keyed.exit_code == 0
    monkeypatch.delenv("LEDER_AUDIT_CHAIN_KEY")
    assert run("audit", "verify").exit_code == 1


def test_chain_key_comes_from_settings(tmp_path):
    assert chain_key(make_settings(tmp_path)) is None
    assert chain_key(make_settings(tmp_path, audit_chain_key="k")) == b"k"
