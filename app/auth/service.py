"""Turning a verified token into a principal, and integrator clients' credentials."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.areas.models import Area
from app.auth.models import IntegratorClient
from app.auth.policy import Role, Scope
from app.auth.tokens import InvalidToken, TokenIssuer, TokenService, VerifiedToken
from app.core.config import Settings
from app.core.errors import NotFound, invalid_field
from app.families import sessions as family_sessions
from app.families.models import FamilyInvitation
from app.users.models import StaffUser

USER_SUBJECT = "user:"
CLIENT_SUBJECT = "client:"
FAMILY_SUBJECT = "family:"


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the database says now (not as the token said when it was issued)."""

    subject: str
    role: Role
    area: str | None = None
    user_id: uuid.UUID | None = None
    client_id: str | None = None
    scopes: frozenset[Scope] = field(default_factory=frozenset)
    client_areas: frozenset[str] = field(default_factory=frozenset)
    # A family principal follows one review, through one invitation.
    notification_id: uuid.UUID | None = None
    invitation_id: uuid.UUID | None = None
    family_session_id: uuid.UUID | None = None  # the signed-in visit, which sign-out ends

    def acts_for_area(self, ods_code: str) -> bool:
        """May this principal act on records of this area (before any role-specific narrowing)?"""
        if self.role is Role.integrator:
            return ods_code in self.client_areas
        if self.role in (Role.coordinator, Role.reviewer):
            return self.area == ods_code
        return False


async def resolve_principal(
    session: AsyncSession, token: VerifiedToken, now: datetime, settings: Settings
) -> Principal:
    if token.issuer is TokenIssuer.external:
        user = (await session.exec(select(StaffUser).where(StaffUser.external_subject == token.subject))).first()
        return _staff_principal(user)
    if token.subject.startswith(USER_SUBJECT):
        try:
            user_id = uuid.UUID(token.subject.removeprefix(USER_SUBJECT))
        except ValueError:
            raise InvalidToken("invalid token") from None
        return _staff_principal(await session.get(StaffUser, user_id))
    if token.subject.startswith(CLIENT_SUBJECT):
        granted = _known_scopes(str(token.claims.get("scope", "")).split())
        return await client_principal(session, token.subject.removeprefix(CLIENT_SUBJECT), granted)
    if token.subject.startswith(FAMILY_SUBJECT):
        try:
            invitation_id = uuid.UUID(token.subject.removeprefix(FAMILY_SUBJECT))
        except ValueError:
            raise InvalidToken("invalid token") from None
        invitation = await session.get(FamilyInvitation, invitation_id)
        session_id = token.claims.get("sid")
        if invitation is None or not isinstance(session_id, str):
            raise InvalidToken("invitation no longer valid")
        # Sign-out, an idle spell, revocation and expiry end the session at once: checked on every request.
        await family_sessions.check_and_touch(session, invitation, session_id, settings, now)
        return Principal(
            subject=token.subject,
            role=Role.family,
            notification_id=invitation.notification_id,
            invitation_id=invitation.id,
            family_session_id=uuid.UUID(session_id),
        )
    raise InvalidToken("invalid token")


def _staff_principal(user: StaffUser | None) -> Principal:
    if user is None or not user.active:
        raise InvalidToken("unknown or inactive user")
    return Principal(subject=f"{USER_SUBJECT}{user.id}", role=Role(user.role), area=user.area_ods, user_id=user.id)


async def client_principal(session: AsyncSession, client_id: str, granted: frozenset[Scope] | None = None) -> Principal:
    """An integrator client as it stands now: scopes (narrowed to `granted`, a token's) and areas."""
    client = await session.get(IntegratorClient, client_id)
    if client is None or not client.active:
        raise InvalidToken("unknown or inactive client")
    scopes = _known_scopes(client.scopes)
    return Principal(
        subject=f"{CLIENT_SUBJECT}{client.client_id}",
        role=Role.integrator,
        client_id=client.client_id,
        # A scope withdrawn from the client stops working at once, even in tokens already issued.
        scopes=scopes if granted is None else granted & scopes,
        client_areas=frozenset(client.areas),
    )


def _known_scopes(values: Iterable[str]) -> frozenset[Scope]:
    known = {s.value for s in Scope}
    return frozenset(Scope(v) for v in values if v in known)


def issue_user_token(tokens: TokenService, user: StaffUser, ttl: timedelta) -> str:
    return tokens.issue(f"{USER_SUBJECT}{user.id}", ttl)


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret() -> tuple[str, str]:
    """A client secret (256 random bits) and the hash that is all we keep of it."""
    secret = secrets.token_urlsafe(32)
    return secret, _hash_secret(secret)


async def create_client(
    session: AsyncSession, name: str, scopes: list[Scope], areas: list[str], now: datetime
) -> tuple[IntegratorClient, str]:
    """Register an integrator. The secret is returned once and only its hash is kept."""
    for ods in areas:
        if await session.get(Area, ods) is None:
            raise invalid_field("areas", "no such area")
    secret, secret_sha256 = _new_secret()
    client = IntegratorClient(
        client_id=f"lc_{secrets.token_hex(8)}",
        name=name,
        secret_sha256=secret_sha256,
        scopes=sorted(set(scopes)),
        areas=sorted(set(areas)),
        created_at=now,
    )
    session.add(client)
    await session.flush()
    return client, secret


async def list_clients(session: AsyncSession) -> Sequence[IntegratorClient]:
    return (await session.exec(select(IntegratorClient).order_by(col(IntegratorClient.created_at)))).all()


async def get_client(session: AsyncSession, client_id: str) -> IntegratorClient:
    client = await session.get(IntegratorClient, client_id)
    if client is None:
        raise NotFound("No such client.")
    return client


async def rotate_client_secret(session: AsyncSession, client_id: str) -> str:
    """Replace the client's secret; the new one is returned once. The old one fails from this commit on
    (no overlap); tokens already issued with it last until they expire, unless the client is deactivated."""
    client = await get_client(session, client_id)
    secret, client.secret_sha256 = _new_secret()
    await session.flush()
    return secret


async def deactivate_client(session: AsyncSession, client_id: str) -> IntegratorClient:
    """Its tokens are refused from the next request (client_principal reads `active` each time), and
    POST /auth/token refuses it as it refuses a wrong secret."""
    client = await get_client(session, client_id)
    client.active = False
    await session.flush()
    return client


class ClientAuthenticationFailed(Exception):
    pass


class ScopeNotGranted(Exception):
    pass


async def client_credentials_token(
    session: AsyncSession,
    tokens: TokenService,
    client_id: str,
    client_secret: str,
    requested_scope: str | None,
    ttl: timedelta,
) -> tuple[str, list[str]]:
    """RFC 6749 section 4.4: a token for the client, narrowed to the scopes it asked for."""
    client = await session.get(IntegratorClient, client_id)
    # Compare against a dummy hash when the client is unknown, so timing does not reveal client ids.
    expected = client.secret_sha256 if client is not None else _hash_secret(secrets.token_hex(16))
    if not hmac.compare_digest(_hash_secret(client_secret), expected) or client is None or not client.active:
        raise ClientAuthenticationFailed
    scopes = set(client.scopes)
    if requested_scope:
        wanted = set(requested_scope.split())
        if not wanted <= scopes:
            raise ScopeNotGranted
        scopes = wanted
    granted = sorted(scopes)
    return tokens.issue(f"{CLIENT_SUBJECT}{client.client_id}", ttl, {"scope": " ".join(granted)}), granted
