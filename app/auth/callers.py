"""Staff and integrator callers, remembered for a few seconds so that a burst of requests does not look the
caller up in the database every time (issue 16: a read one spent one of its five statements on it).

What is remembered is the principal the database gave for a token's subject (and, for a client, the scopes its
token names), for `LEDER_CALLER_CACHE_SECONDS` (5 by default; 0 turns it off). A change made through this
process (an admin's PATCH /users) forgets everything once its transaction commits, so it holds at once here; a
change other processes make (another replica, `leder users deactivate`, `leder clients deactivate`) holds here
within that many seconds. Family callers are never remembered: every one of their requests checks and extends
their session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import event
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.service import FAMILY_SUBJECT, Principal
from app.auth.tokens import VerifiedToken

MAX_CALLERS = 10_000  # far more than the service's staff and clients; past it, start again


@dataclass
class CallerCache:
    seconds: float
    _entries: dict[tuple[str, str, str], tuple[datetime, Principal]] = field(default_factory=dict)

    def get(self, token: VerifiedToken, now: datetime) -> Principal | None:
        key = _key(token)
        entry = self._entries.get(key) if key is not None else None
        if entry is None or entry[0] <= now:
            return None
        return entry[1]

    def put(self, token: VerifiedToken, principal: Principal, now: datetime) -> None:
        key = _key(token)
        if key is None or self.seconds <= 0:
            return
        if len(self._entries) >= MAX_CALLERS:
            self._entries.clear()
        self._entries[key] = (now + timedelta(seconds=self.seconds), principal)

    def forget_after_commit(self, session: AsyncSession) -> None:
        """Forget every caller once this session's transaction commits (forgetting before it could let another
        request remember the row as it was)."""
        event.listen(session.sync_session, "after_commit", lambda _: self._entries.clear(), once=True)


def _key(token: VerifiedToken) -> tuple[str, str, str] | None:
    if token.subject.startswith(FAMILY_SUBJECT):
        return None
    return (token.issuer.value, token.subject, str(token.claims.get("scope", "")))
