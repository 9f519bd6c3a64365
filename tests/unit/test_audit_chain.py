"""The audit chain's rules without a database: the canonical encoding, and how a break is classified."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from app.audit.chain import GENESIS, canonical, row_hash
from app.audit.verify import Anchor, Fault, check

ROW: dict[str, Any] = {
    "id": 1, "at": datetime(2025, 3, 17, 10, 0, tzinfo=UTC), "request_id": "r1", "actor": "user:u",
    "role": "coordinator", "area": "15F", "action": "notification.read", "object_type": "notification",
    "object_id": "n1", "outcome": "allowed",
}  # fmt: skip


def test_the_encoding_is_fixed_for_the_chains_whole_life():
    # Every sealed row's hash depends on these bytes: changing them breaks every chain already stored.
    assert canonical(ROW, GENESIS) == (
        b'{"action":"notification.read","actor":"user:u","area":"15F","at":"2025-03-17T10:00:00.000000+00:00",'
        b'"id":1,"object_id":"n1","object_type":"notification","outcome":"allowed","prev_hash":"' + GENESIS.encode()
        + b'","request_id":"r1","role":"coordinator"}'
    )  # fmt: skip
    assert row_hash(ROW, GENESIS, None) == "4d7b0ac8cc8867ec462d660bbc9196620b052b2066fc51fff00b98d86a58f7bb"
    assert row_hash(ROW, GENESIS, b"k") == "9ff161dffe59621ede078a8bd40c41821095537bc52649f996eb3bba92edb590"


def test_the_same_moment_in_another_zone_hashes_the_same():
    paris = ROW["at"].astimezone(timezone(timedelta(hours=1)))
    assert row_hash({**ROW, "at": paris}, GENESIS, None) == row_hash(ROW, GENESIS, None)


def sealed(count: int) -> list[dict[str, Any]]:
    rows, prev = [], GENESIS
    for n in range(1, count + 1):
        row: dict[str, Any] = {**ROW, "id": n, "chain_seq": n, "prev_hash": prev}
        row["row_hash"] = prev = row_hash(row, prev, None)
        rows.append(row)
    return rows


def walk(rows: list[dict[str, Any]]):
    prev = None
    for i, row in enumerate(rows):
        broken = check(row, rows[i + 1] if i + 1 < len(rows) else None, prev, None)
        if broken is not None:
            return broken.fault, broken.row_id
        prev = row
    return None


def test_an_intact_chain_has_no_break():
    assert walk(sealed(4)) is None


def test_each_kind_of_break_is_named_at_its_row():
    rows = sealed(5)
    assert walk([*rows[:2], {**rows[2], "outcome": "denied"}, *rows[3:]]) == (Fault.altered, 3)
    assert walk([*rows[:2], *rows[3:]]) == (Fault.removed, 4)
    assert walk(rows[1:]) == (Fault.removed, 2)
    stray = {**rows[4], "id": 99}
    stray["row_hash"] = row_hash(stray, stray["prev_hash"], None)
    assert walk([*rows[:2], stray, *rows[2:]]) == (Fault.inserted, 99)  # the next row links past it
    assert walk([*rows[:4], {**rows[4], "chain_seq": 7}]) == (Fault.inserted, 5)  # numbered out of turn


@pytest.mark.parametrize("text", ["12", "12:abc", "-1:" + "a" * 64, "1:" + "g" * 64])
def test_a_malformed_anchor_is_refused(text):
    with pytest.raises(ValueError, match="CHAIN_SEQ:ROW_HASH"):
        Anchor.parse(text)


def test_an_anchor_is_read_as_verify_prints_it():
    assert Anchor.parse(f" 12:{'A' * 64} ") == Anchor(12, "a" * 64)
