"""The requests each load scenario sends, built from the seeded database with valid tokens of several roles.

A request is a dict (method, path, headers, optional JSON body) that bench/load.py turns into bytes. The
reference (bench/reference.py) gets the same requests, bearer tokens included, and verifies them as the
service does. Tokens are issued as `leder token issue` and `POST /auth/token` issue them (the same
TokenService, key and claims), valid for two hours.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import psycopg

from app.auth.policy import Scope
from app.auth.service import CLIENT_SUBJECT, USER_SUBJECT
from app.auth.tokens import TokenService
from app.core.clock import SystemClock
from app.core.config import Settings
from app.core.cursors import CursorCodec
from bench.population import CLIENT_ID

Request = dict[str, Any]
TOKEN_TTL = timedelta(hours=2)


@dataclass
class Actors:
    """The callers: each area's coordinator and reviewers, a national user, the integrator client."""

    settings: Settings
    coordinators: dict[str, uuid.UUID]
    reviewers: dict[str, list[uuid.UUID]]
    national: uuid.UUID
    _tokens: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, connection: psycopg.Connection[Any], settings: Settings) -> Actors:
        coordinators: dict[str, uuid.UUID] = {}
        reviewers: dict[str, list[uuid.UUID]] = {}
        national = None
        for user_id, role, area in connection.execute("SELECT id, role, area_ods FROM staff_user ORDER BY email"):
            if role == "coordinator":
                coordinators[area] = user_id
            elif role == "reviewer":
                reviewers.setdefault(area, []).append(user_id)
            elif role == "national":
                national = user_id
        assert national is not None, "the template has no national user"
        return cls(settings, coordinators, reviewers, national)

    def _token(self, subject: str, claims: dict[str, Any] | None = None) -> str:
        if subject not in self._tokens:
            issuer = TokenService(self.settings, SystemClock())
            self._tokens[subject] = issuer.issue(subject, TOKEN_TTL, claims)
        return self._tokens[subject]

    def headers(self, subject: str) -> dict[str, str]:
        claims = None
        if subject.startswith(CLIENT_SUBJECT):  # as POST /auth/token grants it
            claims = {"scope": f"{Scope.notifications_read.value} {Scope.notifications_write.value}"}
        return {"Authorization": f"Bearer {self._token(subject, claims)}"}


def user(user_id: uuid.UUID) -> str:
    return f"{USER_SUBJECT}{user_id}"


CLIENT = f"{CLIENT_SUBJECT}{CLIENT_ID}"


def reads_by_coordinators(
    connection: psycopg.Connection[Any], actors: Actors, areas: list[str], count: int
) -> list[Request]:
    """GET /notifications/{id}: notifications of every stage, each read by its area's coordinator."""
    rows = connection.execute(
        "SELECT id, area_ods FROM notification WHERE area_ods = ANY(%s) ORDER BY random() LIMIT %s", (areas, count)
    ).fetchall()
    return [
        {
            "method": "GET",
            "path": f"/notifications/{i}",
            "headers": actors.headers(user(actors.coordinators[a])),
        }
        for i, a in rows
    ]


def reads_by_reviewers(
    connection: psycopg.Connection[Any], actors: Actors, areas: list[str], count: int
) -> list[Request]:
    """GET /notifications/{id}: open reviews, each read by the reviewer it is allocated to."""
    rows = connection.execute(
        "SELECT id, reviewer_id FROM notification WHERE reviewer_id IS NOT NULL AND area_ods = ANY(%s) "
        "ORDER BY random() LIMIT %s",
        (areas, count),
    ).fetchall()
    return [{"method": "GET", "path": f"/notifications/{i}", "headers": actors.headers(user(r))} for i, r in rows]


def first_pages(actors: Actors, areas: list[str], today: date) -> list[Request]:
    """A coordinator's worklist: their area's open reviews due within a year, nearest due date first."""
    due_before = (today + timedelta(days=365)).isoformat()
    return [
        {
            "method": "GET",
            "path": f"/notifications?area={area}&sort=due&due_before={due_before}&limit=50",
            "headers": actors.headers(user(actors.coordinators[area])),
        }
        for area in areas
    ]


def deep_pages(connection: psycopg.Connection[Any], actors: Actors, count: int, today: date) -> list[Request]:
    """National oversight paging through every notification by date notified, from random depths (the
    cursor of a random row: a page anywhere in the million)."""
    rows = connection.execute("SELECT id, notified_on FROM notification ORDER BY random() LIMIT %s", (count,))
    headers = actors.headers(user(actors.national))
    requests = []
    cursors = CursorCodec(actors.settings.verification_keys)
    for notification_id, notified_on in rows:
        # The service's own cursor, as national oversight's list (by notified month) gives it.
        cursor = cursors.encode(["notified_month", notified_on.year * 100 + notified_on.month, str(notification_id)])
        requests.append(
            {"method": "GET", "path": f"/notifications?sort=notified&limit=50&cursor={cursor}", "headers": headers}
        )
    return requests


def nhs_number(serial: int) -> str | None:
    """A 10-digit number with a valid Modulus 11 check digit (None for the tenth of prefixes that have none)."""
    digits = f"{serial:09d}"
    check = 11 - sum(int(d) * (10 - i) for i, d in enumerate(digits)) % 11
    if check == 10:
        return None
    return digits + str(0 if check == 11 else check)


def notification_bodies(first_serial: int, count: int, areas: list[str], today: date) -> list[dict[str, Any]]:
    """Valid, varied notifications, each with its own NHS number (numbers from `first_serial` on)."""
    rng = random.Random(first_serial)  # noqa: S311  (made-up people, reproducibly)
    bodies: list[dict[str, Any]] = []
    serial = first_serial
    while len(bodies) < count:
        number = nhs_number(serial)
        serial += 1
        if number is None:
            continue
        died = today - timedelta(days=rng.randrange(1, 30))
        born = died - timedelta(days=365 * rng.randrange(20, 80) + rng.randrange(365))
        dnacpr = rng.random() < 0.4
        bodies.append(
            {
                "area_ods": rng.choice(areas),
                "person": {
                    "nhs_number": number,
                    "given_name": rng.choice(["Joan", "Sam", "Alex", "Priya", "Tom", "Aisha"]),
                    "family_name": f"Bench {serial}",
                    "date_of_birth": born.isoformat(),
                    "sex": rng.choice(["female", "male"]),
                    "ethnic_category": rng.choice("AAAAAABCDHJKMNRSZ"),
                    "learning_disability_level": rng.choice(["mild", "moderate", "severe", "profound_and_multiple"]),
                    "autism": rng.random() < 0.3,
                },
                "death": {
                    "date_of_death": died.isoformat(),
                    "place_of_death": rng.choice(["hospital", "hospital", "home", "care_home", "hospice"]),
                    "cause_of_death": {
                        "part_1": [
                            {"text": "Aspiration pneumonia", "icd10": "J69.0"},
                            {"text": rng.choice(["Dysphagia", "Epilepsy", "Cerebral palsy"])},
                        ],
                        "part_2": [{"text": "Constipation", "icd10": "K59.0"}] if rng.random() < 0.3 else [],
                    },
                    "dnacpr": {"in_place": True, "rationale": "Frailty and recurrent aspiration"} if dnacpr else None,
                    "other_processes": ["coroner_investigation"] if rng.random() < 0.2 else [],
                },
                "notifier": {
                    "name": "Bench Officer",
                    "role": "Medical examiner officer",
                    "organisation": "Bench Teaching Hospitals NHS Trust",
                    "organisation_ods": "RBN",
                    "contact": "me.office@example.org",
                },
            }
        )
    return bodies


def creates(actors: Actors, bodies: list[dict[str, Any]]) -> list[Request]:
    """POST /notifications by the integrator client."""
    headers = actors.headers(CLIENT)
    return [{"method": "POST", "path": "/notifications", "headers": headers, "body": body} for body in bodies]


def allocation_pool(connection: psycopg.Connection[Any], areas: list[str]) -> list[tuple[uuid.UUID, str, int]]:
    """Unallocated notifications (id, area, version), in a fixed order, each to be allocated once."""
    return connection.execute(
        "SELECT id, area_ods, version FROM notification WHERE stage = 'notified' AND area_ods = ANY(%s) ORDER BY id",
        (areas,),
    ).fetchall()


def allocations(actors: Actors, pool: list[tuple[uuid.UUID, str, int]]) -> list[Request]:
    """PUT /notifications/{id}/allocation by the area's coordinator, to one of the area's reviewers."""
    requests = []
    for index, (notification_id, area, version) in enumerate(pool):
        headers = {**actors.headers(user(actors.coordinators[area])), "If-Match": f'"{version}"'}
        reviewer = actors.reviewers[area][index % len(actors.reviewers[area])]
        requests.append(
            {
                "method": "PUT",
                "path": f"/notifications/{notification_id}/allocation",
                "headers": headers,
                "body": {"reviewer_id": str(reviewer)},
            }
        )
    return requests


def transition_pool(connection: psycopg.Connection[Any], areas: list[str]) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
    """Allocated reviews not yet started (id, reviewer, version), each to be started once."""
    return connection.execute(
        "SELECT id, reviewer_id, version FROM notification WHERE stage = 'allocated' AND reviewer_id IS NOT NULL "
        "AND area_ods = ANY(%s) ORDER BY id",
        (areas,),
    ).fetchall()


def transitions(actors: Actors, pool: list[tuple[uuid.UUID, uuid.UUID, int]]) -> list[Request]:
    """POST /notifications/{id}/transitions by the allocated reviewer: start the initial review."""
    return [
        {
            "method": "POST",
            "path": f"/notifications/{notification_id}/transitions",
            "headers": {**actors.headers(user(reviewer)), "If-Match": f'"{version}"'},
            "body": {"to": "initial_review"},
        }
        for notification_id, reviewer, version in pool
    ]
