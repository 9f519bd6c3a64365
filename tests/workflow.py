"""Drives a notification through the review workflow over HTTP, as clients do."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from app.auth.policy import Role
from app.auth.service import issue_user_token
from app.users.models import StaffUser
from tests.factories import Staff, World, notification_body


@dataclass
class Case:
    id: str
    etag: str


COMPLETE_FINDINGS: dict[str, Any] = {
    "pen_portrait": "Joan loved music and her Saturday trips to the market.",
    "initial_review_evidence": {
        "family_or_carer_spoken_to_on": "2025-01-02",
        "gp_records_seen_on": "2025-01-02",
        "other_professional_spoken_to_on": "2025-01-03",
    },
    "grade": 2,
    "potentially_avoidable": False,
    "focused_review_findings": "Reasonable adjustments were made throughout the admission.",
}


class Flow:
    coordinator: Staff
    reviewer: Staff

    def __init__(self, api: httpx.AsyncClient, world: World) -> None:
        self.api = api
        self.world = world

    @classmethod
    async def start(cls, api: httpx.AsyncClient, world: World) -> Flow:
        flow = cls(api, world)
        await world.area("15F")
        await world.area("14L")
        flow.coordinator = await world.staff(Role.coordinator, "15F")
        flow.reviewer = await flow.register_reviewer("Rae Viewer")
        return flow

    def refresh_tokens(self) -> None:
        """Moving the clock by weeks outlives one-hour tokens; issue fresh ones at the new time."""
        for staff in (self.coordinator, self.reviewer):
            staff.token = issue_user_token(self.world.tokens, staff.user, timedelta(hours=1))

    async def register_reviewer(self, name: str, **changes: Any) -> Staff:
        body = {"name": name, "email": f"{name.replace(' ', '.').lower()}@leder-test.org.uk", "max_active_reviews": 5}
        body.update(changes)
        response = await self.api.post("/reviewers", json=body, headers=self.coordinator.headers)
        assert response.status_code == 201, response.text
        async with self.world.session() as session:
            user = await session.get(StaffUser, uuid.UUID(response.json()["id"]))
        assert user is not None
        return Staff(user, issue_user_token(self.world.tokens, user, timedelta(hours=1)))

    async def notify(self, number: str = "9434765919", **changes: Any) -> Case:
        body = notification_body(**{"person.nhs_number": number, **changes})
        response = await self.api.post("/notifications", json=body, headers=self.coordinator.headers)
        assert response.status_code == 201, response.text
        return Case(response.json()["id"], response.headers["etag"])

    async def get(self, case: Case, who: Staff | None = None) -> dict[str, Any]:
        response = await self.api.get(f"/notifications/{case.id}", headers=(who or self.coordinator).headers)
        assert response.status_code == 200, response.text
        case.etag = response.headers["etag"]
        return response.json()

    async def write(self, method: str, case: Case, path: str, who: Staff, body: Any = None) -> httpx.Response:
        headers = {**who.headers, "If-Match": case.etag}
        response = await self.api.request(method, f"/notifications/{case.id}{path}", json=body, headers=headers)
        if response.status_code in (200, 201):
            case.etag = response.headers["etag"]
        return response

    async def allocate(self, case: Case, reviewer: Staff | None = None, **extra: Any) -> httpx.Response:
        body = {"reviewer_id": str((reviewer or self.reviewer).user.id), **extra}
        return await self.write("PUT", case, "/allocation", self.coordinator, body)

    async def move(self, case: Case, to: str, who: Staff, reason: str | None = None) -> httpx.Response:
        return await self.write("POST", case, "/transitions", who, {"to": to, "reason": reason})

    async def hold(self, case: Case, reason: str = "coroner_investigation", **extra: Any) -> httpx.Response:
        return await self.write("POST", case, "/holds", self.coordinator, {"reason": reason, **extra})

    async def end_hold(self, case: Case, hold_id: str) -> httpx.Response:
        return await self.write("POST", case, f"/holds/{hold_id}/end", self.coordinator)

    async def save_findings(self, case: Case, findings: dict[str, Any], who: Staff | None = None) -> httpx.Response:
        url = f"/notifications/{case.id}/findings"
        headers = (who or self.reviewer).headers
        current = await self.api.get(url, headers=headers)
        return await self.api.put(url, json=findings, headers={**headers, "If-Match": current.headers["etag"]})

    async def complete_findings(self, case: Case) -> None:
        response = await self.save_findings(case, COMPLETE_FINDINGS)
        assert response.status_code == 200, response.text

    async def reach(self, stage: str, number: str = "9434765919") -> Case:
        """A new notification at `stage`, by the shortest legal path."""
        case = await self.notify(number)
        steps: dict[str, list[tuple[str, str, str | None]]] = {
            "notified": [],
            "allocated": [("allocate", "", None)],
            "initial_review": [("allocate", "", None), ("reviewer", "initial_review", None)],
            "focused_review": [
                ("allocate", "", None),
                ("reviewer", "initial_review", None),
                ("reviewer", "focused_review", None),
            ],
            "awaiting_sign_off": [
                ("allocate", "", None),
                ("reviewer", "initial_review", None),
                ("reviewer", "awaiting_sign_off", None),
            ],
            "completed": [
                ("allocate", "", None),
                ("reviewer", "initial_review", None),
                ("reviewer", "awaiting_sign_off", None),
                ("coordinator", "completed", None),
            ],
            "excluded": [("coordinator", "excluded", "duplicate of an earlier notification")],
            "on_hold": [("allocate", "", None), ("hold", "", None)],
        }
        for kind, to, reason in steps[stage]:
            if kind == "allocate":
                response = await self.allocate(case)
            elif kind == "hold":
                response = await self.hold(case)
            else:
                who = self.reviewer if kind == "reviewer" else self.coordinator
                response = await self.move(case, to, who, reason)
                if to in ("initial_review", "focused_review"):
                    await self.complete_findings(case)  # ready to submit, as a reviewer would be
            assert response.status_code in (200, 201), response.text
        return case
