"""Test data, made through the same service functions the API and CLI use."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.areas.schemas import AreaCreate
from app.areas.service import create_area
from app.audit.models import AuditEvent
from app.auth.policy import Role, Scope
from app.auth.service import create_client, issue_user_token
from app.auth.tokens import TokenService
from app.core.clock import FrozenClock
from app.core.config import Settings
from app.events.relay import place_all
from app.users.models import StaffUser
from app.users.schemas import UserCreate
from app.users.service import create_user

# Valid by Modulus 11, from the 999 range the NHS never issues.
NHS_NUMBERS = ["9434765919", "9990000018", "9990000026", "9990000034", "9990000042"]


@dataclass
class Staff:
    user: StaffUser
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class World:
    """Builds the people and places a test needs."""

    def __init__(self, app: FastAPI, settings: Settings, clock: FrozenClock) -> None:
        self.app = app
        self.settings = settings
        self.clock = clock
        self.tokens = TokenService(settings, clock)
        self._emails = 0

    def session(self) -> AsyncSession:
        return self.app.state.sessionmaker()

    async def area(self, ods: str = "15F", name: str | None = None) -> str:
        async with self.session() as session:
            await create_area(session, AreaCreate(ods_code=ods, name=name or f"Area {ods}"), self.clock.now())
            await session.commit()
        return ods

    async def staff(self, role: Role, area: str | None = None) -> Staff:
        self._emails += 1
        data = UserCreate(
            role=role, area_ods=area, name=f"Test {role.value}", email=f"user{self._emails}@leder-test.org.uk"
        )
        async with self.session() as session:
            user = await create_user(session, data, self.clock.now())
            await session.commit()
        return Staff(user, issue_user_token(self.tokens, user, timedelta(hours=1)))

    async def client(self, scopes: list[Scope], areas: list[str]) -> tuple[str, str]:
        async with self.session() as session:
            client, secret = await create_client(session, "Test ME office", scopes, areas, self.clock.now())
            await session.commit()
        return client.client_id, secret

    async def integrator(self, api: httpx.AsyncClient, scopes: list[Scope], areas: list[str]) -> dict[str, str]:
        """Bearer headers for a new integrator client, got the way clients get them."""
        client_id, secret = await self.client(scopes, areas)
        form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        response = await api.post("/auth/token", data=form)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def relay(self) -> int:
        """Place the committed events in the change feed now, as the worker's relay does when woken."""
        return await place_all(self.app.state.sessionmaker)

    async def audit_rows(self, **where: Any) -> list[AuditEvent]:
        query = select(AuditEvent).order_by(col(AuditEvent.id))
        for name, value in where.items():
            query = query.where(getattr(AuditEvent, name) == value)
        async with self.session() as session:
            return list((await session.exec(query)).all())


BASE_NOTIFICATION: dict[str, Any] = {
    "area_ods": "15F",
    "person": {
        "nhs_number": "943 476 5919",
        "given_name": "Joan",
        "family_name": "Example",
        "date_of_birth": "1970-05-20",
        "sex": "female",
        "ethnic_category": "A",
        "learning_disability_level": "moderate",
        "autism": False,
    },
    "death": {
        "date_of_death": "2025-03-10",
        "place_of_death": "hospital",
        "cause_of_death": {
            "part_1": [
                {"text": "Aspiration pneumonia", "icd10": "J69.0"},
                {"text": "Dysphagia", "icd10": "R13"},
            ],
            "part_2": [{"text": "Epilepsy", "icd10": "G40.9"}],
        },
        "dnacpr": {"in_place": True, "rationale": "Frailty and recurrent aspiration"},
        "other_processes": ["coroner_investigation"],
    },
    "notifier": {
        "name": "Sam Officer",
        "role": "Medical examiner officer",
        "organisation": "Leeds Teaching Hospitals NHS Trust",
        "organisation_ods": "RR8",
        "contact": "me.office@leder-test.org.uk",
    },
}


def notification_body(**changes: Any) -> dict[str, Any]:
    """A valid notification body; `changes` use dotted paths, e.g. `**{"person.sex": "male"}`."""
    body = copy.deepcopy(BASE_NOTIFICATION)
    for path, value in changes.items():
        target = body
        *parents, leaf = path.split(".")
        for part in parents:
            target = target[part]
        if value is _DELETE:
            del target[leaf]
        else:
            target[leaf] = value
    return body


_DELETE = object()
DELETE = _DELETE


def new_id() -> str:
    return str(uuid.uuid4())
