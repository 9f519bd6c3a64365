"""The reference: the same database work as the API's scenarios, in raw SQL, with nothing else.

A plain Starlette app on psycopg 3's asyncio driver (the API's driver), a fixed pool of connections (the
API's size, LEDER_DB_POOL_SIZE), no ORM, no validation models, no tokens: the caller names itself in an
`X-Bench-Actor` header (`user:<id>` or `client:<id>`). Each request runs, in one transaction, the
statements the API issues for it (captured from SQLAlchemy's echo; listed in each handler), including
the audit row(s), then answers the rows as JSON. What it reaches is the limit of this stack (uvicorn,
asyncio, psycopg, PostgreSQL) on this machine, which bench/run.py sets beside the API's figures.

    BENCH_DATABASE_URL=postgresql://... .venv/bin/uvicorn bench.reference:create_app --factory --port 8101
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from app.core.clock import uk_date
from app.sla.clock import STANDARD_MONTHS, add_months

OPEN_STAGES = ("notified", "allocated", "initial_review", "focused_review", "awaiting_sign_off", "on_hold")
Connection = psycopg.AsyncConnection[dict[str, Any]]

STAFF_USER = (
    "SELECT id, role, area_ods, name, email, active, external_subject, created_at FROM staff_user WHERE id = %s"
)
CLIENT = "SELECT client_id, name, secret_sha256, scopes, areas, active, created_at FROM integrator_client WHERE client_id = %s"  # noqa: E501
NOTIFICATION_COLUMNS = (
    "id, area_ods, stage, review_route, closure_reason, nhs_number, given_name, family_name, date_of_birth, "
    "date_of_death, age_at_death, sex, ethnic_category, learning_disability_level, autism, lived_alone, "
    "out_of_area_placement, place_of_death, died_in_england, national_data_opt_out, cause_of_death, dnacpr_in_place, "
    "dnacpr_rationale, other_processes, notifier, care_providers, notified_on, received_at, created_by, version, "
    "reviewer_id, stage_changed_at, completed_on, focused_review_requested_by_family, focused_review_done, "
    "open_bias_flags, focused_review_waiver, sla_due_ordinal, sla_paused_since_ordinal, sla_outcome"
)
LIVE_DUE = (
    "CASE WHEN sla_paused_since_ordinal IS NULL THEN sla_due_ordinal "
    "ELSE sla_due_ordinal + (%(today)s - sla_paused_since_ordinal) END"
)
AUDIT = (
    "INSERT INTO audit_event (at, request_id, actor, role, area, action, object_type, object_id, outcome) "
    "VALUES (%(at)s, %(request_id)s, %(actor)s, %(role)s, %(area)s, %(action)s, 'notification', %(object_id)s, "
    "'allowed')"
)
HOLDS = (
    "SELECT id, notification_id, reason, reference, expected_end_on, stage_before, started_at, started_on, started_by, "
    "ended_at, ended_on, ended_by FROM hold WHERE notification_id = ANY(%s) ORDER BY started_at"
)
FLAGS = (
    "SELECT id, notification_id, kind, evidence, raised_at, dismissed_at, dismissed_by, dismissal_reason, withdrawn_at "
    "FROM bias_flag WHERE notification_id = ANY(%s) ORDER BY raised_at, id"
)


class Pool:
    """A fixed set of open connections, handed out one request at a time (no overflow, as the API's)."""

    def __init__(self, url: str, size: int) -> None:
        self.url, self.size = url, size
        self.idle: asyncio.Queue[Connection] = asyncio.Queue()

    async def open(self) -> None:
        for _ in range(self.size):
            self.idle.put_nowait(await psycopg.AsyncConnection.connect(self.url, row_factory=dict_row))

    async def close(self) -> None:
        while not self.idle.empty():
            await self.idle.get_nowait().close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        connection = await self.idle.get()
        try:
            async with connection.transaction():
                yield connection
        finally:
            self.idle.put_nowait(connection)


def _json(value: Any) -> Response:
    return Response(json.dumps(value, default=str), media_type="application/json")


def _actor(request: Request) -> tuple[str, str]:
    kind, _, ident = request.headers["x-bench-actor"].partition(":")
    return kind, ident


async def _staff(connection: Connection, ident: str) -> dict[str, Any]:
    user = await (await connection.execute(STAFF_USER, (uuid.UUID(ident),))).fetchone()
    if user is None or not user["active"]:
        raise PermissionError
    return user


def _readable(user: dict[str, Any]) -> tuple[str, Any]:
    if user["role"] == "coordinator":
        return "area_ods = %s", user["area_ods"]
    if user["role"] == "reviewer":
        return "reviewer_id = %s", user["id"]
    return "%s", True


async def _audit(
    connection: Connection, actor: str, role: str, area: str | None, action: str, ids: list[Any], at: datetime
) -> None:
    base = {"at": at, "request_id": uuid.uuid4().hex, "actor": actor, "role": role, "area": area, "action": action}
    if len(ids) == 1:
        await connection.execute(AUDIT + " RETURNING id", {**base, "object_id": str(ids[0])})
    else:
        async with connection.cursor() as cursor:
            await cursor.executemany(
                AUDIT, [{**base, "object_id": str(i)} for i in ids] or [{**base, "object_id": None}]
            )


async def _related(connection: Connection, ids: list[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    holds = await (await connection.execute(HOLDS, (ids,))).fetchall()
    flags = await (await connection.execute(FLAGS, (ids,))).fetchall()
    return holds, flags


async def read_one(request: Request) -> Response:
    """staff_user; the notification, if readable; the audit row; holds; flags."""
    pool: Pool = request.app.state.pool
    now = datetime.now(UTC)
    async with pool.transaction() as connection:
        user = await _staff(connection, _actor(request)[1])
        condition, value = _readable(user)
        query = f"SELECT {NOTIFICATION_COLUMNS} FROM notification WHERE id = %s AND {condition}"  # noqa: S608
        row = await (await connection.execute(query, (uuid.UUID(request.path_params["id"]), value))).fetchone()
        if row is None:
            return PlainTextResponse("not found", status_code=404)
        await _audit(
            connection, f"user:{user['id']}", user["role"], user["area_ods"], "notification.read", [row["id"]], now
        )
        holds, flags = await _related(connection, [row["id"]])
    return _json({**row, "holds": holds, "flags": flags})


async def list_page(request: Request) -> Response:
    """staff_user; the page (area, open, due before; by live due date, id: the ids, then their rows); audit
    rows; holds; flags."""
    pool: Pool = request.app.state.pool
    now = datetime.now(UTC)
    today = uk_date(now).toordinal()
    limit = int(request.query_params.get("limit", 50))
    params = {
        "area": request.query_params["area"],
        "today": today,
        "due": date.fromisoformat(request.query_params["due_before"]).toordinal(),
        "stages": list(OPEN_STAGES),
        "limit": limit + 1,
    }
    async with pool.transaction() as connection:
        user = await _staff(connection, _actor(request)[1])
        query = (
            f"SELECT {NOTIFICATION_COLUMNS} FROM notification WHERE id IN ("  # noqa: S608
            f"SELECT id FROM notification WHERE area_ods = %(own)s AND area_ods = %(area)s AND stage = ANY(%(stages)s) "
            f"AND {LIVE_DUE} <= %(due)s ORDER BY {LIVE_DUE}, id LIMIT %(limit)s) ORDER BY {LIVE_DUE}, id"
        )
        rows = await (await connection.execute(query, {**params, "own": user["area_ods"]})).fetchall()
        page = rows[:limit]
        ids = [r["id"] for r in page]
        await _audit(connection, f"user:{user['id']}", user["role"], user["area_ods"], "notification.read", ids, now)
        holds, flags = await _related(connection, ids)
    return _json({"items": page, "holds": holds, "flags": flags})


async def create(request: Request) -> Response:
    """integrator_client; area; the duplicate check; notification, stage-span, history, outbox and audit
    inserts (a new notification has no holds or flags to look up; bias flags are detected in Python)."""
    pool: Pool = request.app.state.pool
    now = datetime.now(UTC)
    today = uk_date(now)
    body = json.loads(await request.body())
    person, death = body["person"], body["death"]
    born, died = date.fromisoformat(person["date_of_birth"]), date.fromisoformat(death["date_of_death"])
    age = died.year - born.year - ((died.month, died.day) < (born.month, born.day))
    notified = date.fromisoformat(body["notified_on"]) if body.get("notified_on") else today
    row = {
        "id": uuid.uuid4(), "area_ods": body["area_ods"], "stage": "notified", "review_route": "leder",
        "nhs_number": person.get("nhs_number"), "given_name": person["given_name"],
        "family_name": person["family_name"], "date_of_birth": born, "date_of_death": died, "age_at_death": age,
        "sex": person["sex"], "ethnic_category": person["ethnic_category"],
        "learning_disability_level": person["learning_disability_level"], "autism": person["autism"],
        "place_of_death": death["place_of_death"], "died_in_england": death.get("died_in_england", True),
        "national_data_opt_out": body.get("national_data_opt_out", False),
        "cause_of_death": json.dumps(death["cause_of_death"]),
        "other_processes": json.dumps(death.get("other_processes", [])), "notifier": json.dumps(body["notifier"]),
        "care_providers": json.dumps(sorted(set(body.get("care_providers", [])))),
        "notified_on": notified, "received_at": now, "actor": "", "stage_changed_at": now,
        "sla_due_ordinal": add_months(notified, STANDARD_MONTHS).toordinal(),
    }  # fmt: skip
    async with pool.transaction() as connection:
        client = await (await connection.execute(CLIENT, (_actor(request)[1],))).fetchone()
        if client is None or not client["active"] or body["area_ods"] not in client["areas"]:
            return PlainTextResponse("forbidden", status_code=403)
        actor = row["actor"] = f"client:{client['client_id']}"
        area = "SELECT ods_code, name, region, created_at FROM area WHERE ods_code = %s"
        if await (await connection.execute(area, (body["area_ods"],))).fetchone() is None:
            return PlainTextResponse("no such area", status_code=422)
        if row["nhs_number"]:
            duplicate = "SELECT id FROM notification WHERE nhs_number = %s AND date_of_death = %s"
            if await (await connection.execute(duplicate, (row["nhs_number"], died))).fetchone():
                return PlainTextResponse("duplicate", status_code=409)
        await connection.execute(
            "INSERT INTO notification (id, area_ods, stage, review_route, nhs_number, given_name, family_name, "
            "date_of_birth, date_of_death, age_at_death, sex, ethnic_category, learning_disability_level, autism, "
            "place_of_death, died_in_england, national_data_opt_out, cause_of_death, other_processes, notifier, "
            "care_providers, notified_on, received_at, created_by, version, stage_changed_at, "
            "focused_review_requested_by_family, focused_review_done, open_bias_flags, sla_due_ordinal) VALUES ("
            "%(id)s, %(area_ods)s, %(stage)s, %(review_route)s, %(nhs_number)s, %(given_name)s, %(family_name)s, "
            "%(date_of_birth)s, %(date_of_death)s, %(age_at_death)s, %(sex)s, %(ethnic_category)s, "
            "%(learning_disability_level)s, %(autism)s, %(place_of_death)s, %(died_in_england)s, "
            "%(national_data_opt_out)s, %(cause_of_death)s, %(other_processes)s, %(notifier)s, %(care_providers)s, "
            "%(notified_on)s, %(received_at)s, %(actor)s, 1, %(stage_changed_at)s, false, false, 0, "
            "%(sla_due_ordinal)s)",
            row,
        )
        await connection.execute(
            "INSERT INTO outbox_event (event_id, type, occurred_at, notification_id, area_ods, payload) "
            "VALUES (%s, 'notification.created', %s, %s, %s, %s) RETURNING id",
            (uuid.uuid4(), now, row["id"], row["area_ods"], json.dumps({"stage": "notified", "review_route": "leder"})),
        )
        await connection.execute(
            "INSERT INTO history_entry (notification_id, at, actor, role, kind, from_stage, to_stage, reason, details) "
            "VALUES (%s, %s, %s, 'integrator', 'notified', NULL, 'notified', NULL, %s) RETURNING id",
            (row["id"], now, actor, json.dumps({"review_route": "leder"})),
        )
        await connection.execute(
            "INSERT INTO stage_span (notification_id, area_ods, stage, started_on, ended_on, notified_on) "
            "VALUES (%s, %s, 'notified', %s, %s, %s) RETURNING id",
            (row["id"], row["area_ods"], notified, date(9999, 12, 31), notified),
        )
        await _audit(connection, actor, "integrator", None, "notification.create", [row["id"]], now)
    return Response(json.dumps({**row, "holds": [], "flags": []}, default=str), 201, media_type="application/json")


async def ping(_: Request) -> Response:
    """No database: what the HTTP stack alone (and the load generator) can do."""
    return PlainTextResponse("ok")


def create_app() -> Starlette:
    url = os.environ["BENCH_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    pool = Pool(url, int(os.environ.get("LEDER_DB_POOL_SIZE", "10")))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await pool.open()
        app.state.pool = pool
        yield
        await pool.close()

    async def on_error(_: Request, exc: Exception) -> Response:
        return JSONResponse({"error": type(exc).__name__}, status_code=500)

    routes = [
        Route("/ping", ping),
        Route("/notifications", list_page),
        Route("/notifications", create, methods=["POST"]),
        Route("/notifications/{id}", read_one),
    ]
    return Starlette(routes=routes, lifespan=lifespan, exception_handlers={Exception: on_error})
