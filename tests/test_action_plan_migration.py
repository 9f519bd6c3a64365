"""The action-plan migration on existing data: the SMART actions of reviews already signed off join the plan."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine.interfaces import ReflectedColumn
from sqlmodel import SQLModel

import app.models  # noqa: F401  (every table in the metadata)
from app.core.migrations import alembic_config
from tests.conftest import make_settings
from tests.test_schema_and_spec import scratch_database_url

BEFORE = "915adcbd0613"  # the last revision without the action plan
AT = datetime(2025, 3, 17, 10, tzinfo=UTC)


def _filler(kind: Any) -> Any:
    """A plain value for a required column the test does not care about, by its type."""
    if isinstance(kind, sa.types.TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return 0
    if isinstance(kind, sa.DateTime):
        return AT
    if isinstance(kind, sa.Date):
        return date(2025, 1, 1)
    if isinstance(kind, sa.JSON):
        return {}
    if isinstance(kind, sa.Uuid):
        return uuid.uuid4()
    return "x"


def _insert(connection: sa.Connection, table_name: str, /, **values: Any) -> None:
    """A row with `values`, and plain values for every other required column without a default."""
    model = SQLModel.metadata.tables[table_name]  # the types as the app binds them (a UUID on SQLite, say)
    reflected = sa.inspect(connection).get_columns(table_name)  # what the database requires
    columns = [model.c[c["name"]] for c in reflected]

    def required(c: ReflectedColumn) -> bool:
        column = model.c[c["name"]]
        serial = column.primary_key and isinstance(column.type, sa.Integer)  # the database numbers it
        return not c["nullable"] and c.get("default") is None and not serial

    row = {c["name"]: _filler(model.c[c["name"]].type) for c in reflected if required(c)}
    row.update(values)
    table = sa.table(table_name, *(sa.column(c.name, c.type) for c in columns))
    connection.execute(table.insert().values(**row))


def test_signed_off_reviews_smart_actions_become_plan_actions(tmp_path: Path):
    settings = make_settings(tmp_path, database_url=scratch_database_url())
    config = alembic_config(settings)
    config.attributes["configure_logger"] = False
    command.upgrade(config, BEFORE)
    engine = create_engine(settings.sync_database_url)
    signed_off, open_review = uuid.uuid4(), uuid.uuid4()
    findings = {
        "grade": 4,
        "contributory_factors": ["gaps_in_service_provision"],
        "actions": [
            {"what": "Pathway", "owner_organisation": "Trust", "due_on": "2025-06-30", "status": "planned"},
            {"what": "Audit", "owner_organisation": "PCN", "due_on": "2025-05-31", "status": "completed"},
        ],
    }
    try:
        with engine.begin() as connection:
            _insert(connection, "area", ods_code="15F", name="Leeds")
            for ident, stage in ((signed_off, "completed"), (open_review, "initial_review")):
                _insert(
                    connection, "notification", id=ident, area_ods="15F", stage=stage, review_route="leder",
                    completed_on=date(2025, 3, 10) if stage == "completed" else None, reviewer_id=None,
                )  # fmt: skip
                _insert(connection, "findings", notification_id=ident, data=findings, version=1)
            _insert(connection, "bias_flag", notification_id=signed_off, kind="learning_disability_as_cause_of_death",
                    dismissed_at=None)  # fmt: skip
        command.upgrade(config, "head")
        with engine.connect() as connection:
            actions = connection.execute(
                text(
                    "SELECT what, status, due_on, closed_on, source_index, area_ods FROM plan_action"
                    " ORDER BY source_index"
                )
            ).all()
            themes = (
                connection.execute(text("SELECT DISTINCT theme FROM plan_action_theme ORDER BY theme")).scalars().all()
            )
            raised = connection.execute(text("SELECT theme, signed_off_on FROM review_theme ORDER BY theme")).all()
        # Only the signed-off review's actions; the open review's findings are still a draft.
        assert [(a.what, a.status, a.source_index, a.area_ods) for a in actions] == [
            ("Pathway", "planned", 0, "15F"),
            ("Audit", "completed", 1, "15F"),
        ]
        assert [str(a.closed_on) if a.closed_on else None for a in actions] == [None, "2025-03-10"]
        expected = [
            "bias_flag.learning_disability_as_cause_of_death",
            "contributory_factor.gaps_in_service_provision",
            "grade_4_to_6",
        ]
        assert list(themes) == expected
        assert [r.theme for r in raised] == expected
        assert {str(r.signed_off_on) for r in raised} == {"2025-03-10"}
    finally:
        engine.dispose()
