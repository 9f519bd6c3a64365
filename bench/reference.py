"""The reference: the same work as the API's scenarios, in raw SQL, with nothing else.

A plain Starlette app on psycopg 3's asyncio driver (the API's driver), a fixed pool of connections (the
API's size, LEDER_DB_POOL_SIZE), no ORM and no validation models. It does what the service must do for each
request, step by step, so that the API's speed over its speed compares like with like:

1. verify the bearer token with PyJWT as app/auth/tokens.py does (HS256, the key its `kid` names among the
   service's current and previous secrets, issuer `leder`, audience `leder-api`, exp/iat/iss/aud/sub
   required, the lifetime no longer than allowed);
2. look up the caller named by `sub` (`user:<id>` in staff_user, `client:<id>` in integrator_client) and
   refuse one that is unknown or inactive, or (for a client) lacks the scope the request needs;
3. run, in one transaction, the statements the API issues (captured from SQLAlchemy's echo; listed in each
   handler), scoped as app.notifications.service.readable_by scopes them (a coordinator's area, a reviewer's
   allocation, a client's areas, everything for national oversight), including the audit row(s);
4. commit and answer the rows as JSON.

What it reaches is the limit of this stack (uvicorn, asyncio, psycopg, PostgreSQL) on this machine, which
bench/run.py and bench/inprocess.py set beside the API's figures. It reads the same LEDER_* settings as the
service (LEDER_SECRET_KEY, LEDER_PREVIOUS_SECRET_KEYS) and BENCH_DATABASE_URL:

    BENCH_DATABASE_URL=postgresql://... LEDER_SECRET_KEY=... \
        .venv/bin/uvicorn bench.reference:create_app --factory --port 8101
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import jwt
import psycopg
from psycopg.rows import dict_row
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from app.auth.tokens import key_id
from app.core.clock import uk_date
from app.core.config import Settings
from app.core.cursors import CursorCodec
from app.sla.clock import STANDARD_MONTHS, add_months

OPEN_STAGES = ("notified", "allocated", "initial_review", "focused_review", "awaiting_sign_off", "on_hold")
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
READ_SCOPE, WRITE_SCOPE = "notifications:read", "notifications:write"
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
# National oversight's order (the stored notified_month, YYYYMM): by notified month, then id.
NOTIFIED_MONTH = "notified_month"
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


class Refused(Exception):
    """The request may not go on: answered with this status and a short reason (never token content)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class Tokens:
    """The service's token check (app/auth/tokens.py, service tokens only), in a few lines of PyJWT."""

    def __init__(self, settings: Settings) -> None:
        self.keys = {key_id(secret): secret for secret in settings.verification_keys}
        self.current = settings.signing_key
        self.issuer, self.audience = settings.token_issuer, settings.token_audience
        self.leeway, self.max_ttl = settings.token_leeway_seconds, settings.token_max_ttl_seconds
        self.max_bytes = settings.token_max_bytes

    def verify(self, authorization: str | None) -> dict[str, Any]:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token or len(token) > self.max_bytes:
            raise Refused(401, "a bearer token is required")
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            secret = self.current if kid is None else self.keys[kid]
            claims: dict[str, Any] = jwt.decode(
                token,
                secret,
                algorithms=["HS256"],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except (jwt.PyJWTError, KeyError, TypeError):
            raise Refused(401, "invalid token") from None
        if not isinstance(claims["sub"], str) or claims["exp"] - claims["iat"] > self.max_ttl:
            raise Refused(401, "invalid token")
        return claims


@dataclass(frozen=True)
class Caller:
    subject: str
    role: str
    area: str | None = None
    user_id: uuid.UUID | None = None
    client_areas: tuple[str, ...] = ()
    scopes: frozenset[str] = frozenset()


async def caller(request: Request, connection: Connection, roles: set[str], scope: str) -> Caller:
    """Steps 1 and 2: the verified token's subject, as the database says it is now."""
    tokens: Tokens = request.app.state.tokens
    claims = tokens.verify(request.headers.get("authorization"))
    kind, _, ident = claims["sub"].partition(":")
    if kind == "user":
        try:
            user_id = uuid.UUID(ident)
        except ValueError:
            raise Refused(401, "invalid token") from None
        user = await (await connection.execute(STAFF_USER, (user_id,))).fetchone()
        if user is None or not user["active"]:
            raise Refused(401, "unknown or inactive user")
        found = Caller(f"user:{user['id']}", user["role"], user["area_ods"], user["id"])
    elif kind == "client":
        client = await (await connection.execute(CLIENT, (ident,))).fetchone()
        if client is None or not client["active"]:
            raise Refused(401, "unknown or inactive client")
        scopes = frozenset(str(claims.get("scope", "")).split()) & frozenset(client["scopes"])
        found = Caller(f"client:{client['client_id']}", "integrator", None, None, tuple(client["areas"]), scopes)
    else:
        raise Refused(401, "invalid token")
    if found.role not in roles or (found.role == "integrator" and scope not in found.scopes):
        raise Refused(403, "forbidden")
    return found


READERS = {"coordinator", "reviewer", "national", "integrator"}


def readable(who: Caller) -> tuple[str, dict[str, Any]]:
    """app.notifications.service.readable_by: the one rule for which notifications a caller may see."""
    if who.role == "coordinator":
        return "area_ods = %(own_area)s", {"own_area": who.area}
    if who.role == "reviewer":
        return "reviewer_id = %(own_id)s", {"own_id": who.user_id}
    if who.role == "integrator":
        return "area_ods = ANY(%(own_areas)s)", {"own_areas": sorted(who.client_areas)}
    return "true", {}


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


async def _audit(connection: Connection, who: Caller, action: str, ids: list[Any], at: datetime) -> None:
    base = {
        "at": at, "request_id": uuid.uuid4().hex, "actor": who.subject, "role": who.role, "area": who.area,
        "action": action,
    }  # fmt: skip
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
    """The caller; the notification, if readable; the audit row; holds; flags."""
    pool: Pool = request.app.state.pool
    now = datetime.now(UTC)
    async with pool.transaction() as connection:
        who = await caller(request, connection, READERS, READ_SCOPE)
        condition, scoped = readable(who)
        query = f"SELECT {NOTIFICATION_COLUMNS} FROM notification WHERE id = %(id)s AND {condition}"  # noqa: S608
        params = {"id": uuid.UUID(request.path_params["id"]), **scoped}
        row = await (await connection.execute(query, params)).fetchone()
        if row is None:
            raise Refused(404, "not found")
        await _audit(connection, who, "notification.read", [row["id"]], now)
        holds, flags = await _related(connection, [row["id"]])
    return _json({**row, "holds": holds, "flags": flags})


def _months_only(who: Caller) -> bool:
    return who.role == "national" or (who.role == "integrator" and "notifications:dates" not in who.scopes)


async def list_page(request: Request) -> Response:
    """The caller; the page (readable, the filters given, in the order asked for, after the cursor's position:
    the ids, then their rows); audit rows; holds; flags; the next page's cursor."""
    pool: Pool = request.app.state.pool
    cursors: CursorCodec = request.app.state.cursors
    now = datetime.now(UTC)
    today = uk_date(now)
    query_params = request.query_params
    limit = int(query_params.get("limit", 50))
    params: dict[str, Any] = {"today": today.toordinal(), "limit": limit + 1}
    async with pool.transaction() as connection:
        who = await caller(request, connection, READERS, READ_SCOPE)
        condition, scoped = readable(who)
        conditions = [condition]
        params |= scoped
        if "area" in query_params:
            conditions.append("area_ods = %(area)s")
            params["area"] = query_params["area"]
        if "due_before" in query_params:
            conditions.append(f"stage = ANY(%(stages)s) AND {LIVE_DUE} <= %(due)s")
            params |= {"stages": list(OPEN_STAGES), "due": date.fromisoformat(query_params["due_before"]).toordinal()}
        if query_params.get("sort") == "due":
            if _months_only(who):
                raise Refused(422, "lists by notified month only")
            order, key = "due", LIVE_DUE
        else:
            order, key = ("notified_month", NOTIFIED_MONTH) if _months_only(who) else ("notified", "notified_on")
        if "cursor" in query_params:
            cursor_order, after, after_id = cursors.decode(query_params["cursor"])
            if cursor_order != order:
                raise Refused(422, "not a cursor for this order")
            conditions.append(f"({key}, id) > (%(after)s, %(after_id)s)")
            params |= {"after": date.fromisoformat(after) if order == "notified" else after, "after_id": after_id}
        where = " AND ".join(conditions)
        query = (
            f"SELECT {NOTIFICATION_COLUMNS} FROM notification WHERE id IN ("  # noqa: S608
            f"SELECT id FROM notification WHERE {where} ORDER BY {key}, id LIMIT %(limit)s) ORDER BY {key}, id"
        )
        rows = await (await connection.execute(query, params)).fetchall()
        page = rows[:limit]
        ids = [r["id"] for r in page]
        await _audit(connection, who, "notification.read", ids, now)
        holds, flags = await _related(connection, ids)
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        if order == "due":
            paused = last["sla_paused_since_ordinal"]
            position: Any = last["sla_due_ordinal"] + (today.toordinal() - paused if paused is not None else 0)
        elif order == "notified":
            position = last["notified_on"].isoformat()
        else:
            position = last["notified_on"].year * 100 + last["notified_on"].month
        next_cursor = cursors.encode([order, position, str(last["id"])])
    return _json({"items": page, "holds": holds, "flags": flags, "next_cursor": next_cursor})


async def create(request: Request) -> Response:
    """The caller; area; the duplicate check; notification, stage-span, history, outbox and audit
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
        "notified_on": notified, "notified_month": notified.year * 100 + notified.month, "received_at": now,
        "actor": "", "stage_changed_at": now,
        "sla_due_ordinal": add_months(notified, STANDARD_MONTHS).toordinal(),
    }  # fmt: skip
    async with pool.transaction() as connection:
        who = await caller(request, connection, {"coordinator", "integrator"}, WRITE_SCOPE)
        if body["area_ods"] not in (who.client_areas if who.role == "integrator" else (who.area,)):
            raise Refused(403, "forbidden")
        actor = row["actor"] = who.subject
        area = "SELECT ods_code, name, region, created_at FROM area WHERE ods_code = %s"
        if await (await connection.execute(area, (body["area_ods"],))).fetchone() is None:
            raise Refused(422, "no such area")
        if row["nhs_number"]:
            duplicate = "SELECT id FROM notification WHERE nhs_number = %s AND date_of_death = %s"
            if await (await connection.execute(duplicate, (row["nhs_number"], died))).fetchone():
                raise Refused(409, "duplicate")
        await connection.execute(
            "INSERT INTO notification (id, area_ods, stage, review_route, nhs_number, given_name, family_name, "
            "date_of_birth, date_of_death, age_at_death, sex, ethnic_category, learning_disability_level, autism, "
            "place_of_death, died_in_england, national_data_opt_out, cause_of_death, other_processes, notifier, "
            "care_providers, notified_on, notified_month, received_at, created_by, version, stage_changed_at, "
            "focused_review_requested_by_family, focused_review_done, open_bias_flags, sla_due_ordinal) VALUES ("
            "%(id)s, %(area_ods)s, %(stage)s, %(review_route)s, %(nhs_number)s, %(given_name)s, %(family_name)s, "
            "%(date_of_birth)s, %(date_of_death)s, %(age_at_death)s, %(sex)s, %(ethnic_category)s, "
            "%(learning_disability_level)s, %(autism)s, %(place_of_death)s, %(died_in_england)s, "
            "%(national_data_opt_out)s, %(cause_of_death)s, %(other_processes)s, %(notifier)s, %(care_providers)s, "
            "%(notified_on)s, %(notified_month)s, %(received_at)s, %(actor)s, 1, %(stage_changed_at)s, false, "
            "false, 0, %(sla_due_ordinal)s)",
            row,
        )
        await connection.execute(
            "INSERT INTO outbox_event (event_id, type, occurred_at, notification_id, area_ods, payload) "
            "VALUES (%s, 'notification.created', %s, %s, %s, %s) RETURNING id",
            (uuid.uuid4(), now, row["id"], row["area_ods"], json.dumps({"stage": "notified", "review_route": "leder"})),
        )
        await connection.execute(
            "INSERT INTO history_entry (notification_id, at, actor, role, kind, from_stage, to_stage, reason, details) "
            "VALUES (%s, %s, %s, %s, 'notified', NULL, 'notified', NULL, %s) RETURNING id",
            (row["id"], now, actor, who.role, json.dumps({"review_route": "leder"})),
        )
        await connection.execute(
            "INSERT INTO stage_span (notification_id, area_ods, stage, started_on, ended_on, notified_on) "
            "VALUES (%s, %s, 'notified', %s, %s, %s) RETURNING id",
            (row["id"], row["area_ods"], notified, date(9999, 12, 31), notified),
        )
        await _audit(connection, who, "notification.create", [row["id"]], now)
    return Response(json.dumps({**row, "holds": [], "flags": []}, default=str), 201, media_type="application/json")


async def ping(_: Request) -> Response:
    """No database: what the HTTP stack alone (and the load generator) can do."""
    return PlainTextResponse("ok")


def create_app(settings: Settings | None = None) -> Starlette:
    """The service's own settings give the keys; BENCH_DATABASE_URL (else LEDER_DATABASE_URL) the database."""
    settings = settings or Settings()
    url = os.environ.get("BENCH_DATABASE_URL") or settings.sync_database_url
    pool = Pool(url.replace("postgresql+psycopg://", "postgresql://"), settings.db_pool_size)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await pool.open()
        yield
        await pool.close()

    async def on_refused(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refused)
        return PlainTextResponse(str(exc), status_code=exc.status)

    async def on_error(_: Request, exc: Exception) -> Response:
        return JSONResponse({"error": type(exc).__name__}, status_code=500)

    routes = [
        Route("/ping", ping),
        Route("/notifications", list_page),
        Route("/notifications", create, methods=["POST"]),
        Route("/notifications/{id}", read_one),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={Refused: on_refused, Exception: on_error})
    app.state.pool = pool
    app.state.tokens = Tokens(settings)
    app.state.cursors = CursorCodec(settings.verification_keys)
    return app
