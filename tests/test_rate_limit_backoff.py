"""The generic back-off in app/core/rate_limits.py: free attempts, then doubling waits after the latest
failure, never beyond the cap (on the test database, as the service counts)."""

from __future__ import annotations

from datetime import timedelta

from app.core import rate_limits

WINDOW, CAP = timedelta(minutes=15), timedelta(seconds=60)


async def test_free_attempts_then_a_doubling_wait_capped(world, clock):
    key = "test:backoff"
    waits = []
    async with world.session() as session:
        for _ in range(3):  # free
            assert await rate_limits.backoff(session, key, 3, WINDOW, CAP, clock.now()) is None
            rate_limits.count_attempt(session, key, clock.now())
        for _ in range(9):
            wait = await rate_limits.backoff(session, key, 3, WINDOW, CAP, clock.now())
            assert wait is not None
            waits.append(wait)
            clock.set(clock.now() + timedelta(seconds=wait - 1))
            assert await rate_limits.backoff(session, key, 3, WINDOW, CAP, clock.now()) == 1  # not yet
            clock.set(clock.now() + timedelta(seconds=1))
            assert await rate_limits.backoff(session, key, 3, WINDOW, CAP, clock.now()) is None
            rate_limits.count_attempt(session, key, clock.now())
        await session.rollback()
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]


async def test_failures_outside_the_window_are_forgotten(world, clock):
    key = "test:window"
    async with world.session() as session:
        for _ in range(5):
            rate_limits.count_attempt(session, key, clock.now())
        assert await rate_limits.backoff(session, key, 3, WINDOW, CAP, clock.now()) is not None
        clock.set(clock.now() + WINDOW)
        assert await rate_limits.backoff(session, key, 3, WINDOW, CAP, clock.now()) is None
        assert await rate_limits.backoff(session, "test:other", 3, WINDOW, CAP, clock.now()) is None
        await session.rollback()
