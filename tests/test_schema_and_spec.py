"""The schema comes only from migrations; the committed OpenAPI spec is what the app serves."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from app.core.migrations import PROJECT_ROOT, alembic_config, head_revision
from app.main import create_app
from tests.conftest import POSTGRES_URL, make_settings


def test_committed_openapi_spec_matches_the_app(settings):
    committed = json.loads((PROJECT_ROOT / "openapi" / "openapi.json").read_text())
    served = create_app(settings).openapi()
    assert committed == served, "run `leder openapi` and commit openapi/openapi.json"


def test_operation_ids_are_the_route_names(settings):
    spec = create_app(settings).openapi()
    ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert "create_notification" in ids and "get_notification" in ids
    assert len(ids) == len(set(ids))


def scratch_database_url() -> str | None:
    """A PostgreSQL database of this test's own, so a failure here cannot break the shared test schema."""
    if not POSTGRES_URL:
        return None
    url = make_url(POSTGRES_URL)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"{url.database}_migrations"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def test_migrations_upgrade_downgrade_and_upgrade_again(tmp_path: Path):
    settings = make_settings(tmp_path, database_url=scratch_database_url())
    config = alembic_config(settings)
    config.attributes["configure_logger"] = False
    engine = create_engine(settings.sync_database_url)
    try:
        command.upgrade(config, "head")
        tables = set(inspect(engine).get_table_names())
        assert {t.name for t in SQLModel.metadata.sorted_tables} <= tables

        command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        command.upgrade(config, "head")
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == head_revision(settings)
            # `alembic check`: the models and the migrations describe the same schema.
            diff = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": True}), SQLModel.metadata
            )
        assert diff == []
    finally:
        engine.dispose()


def test_the_workflow_migration_fills_in_existing_notifications_and_reviewers(tmp_path: Path):
    import uuid
    from datetime import UTC, date, datetime

    settings = make_settings(tmp_path, database_url=scratch_database_url())
    config = alembic_config(settings)
    config.attributes["configure_logger"] = False
    command.upgrade(config, "a35f607fa7b4")  # the foundation, before the workflow
    engine = create_engine(settings.sync_database_url)
    received = datetime(2019, 9, 2, 9, 0, tzinfo=UTC)
    # Tables as they were at that revision, typed as the migration knew them.
    area = sa.table("area", sa.column("ods_code"), sa.column("name"), sa.column("created_at", sa.DateTime(True)))
    staff = sa.table(
        "staff_user",
        sa.column("id", sa.Uuid()),
        *(sa.column(c) for c in ("role", "area_ods", "name", "email", "active")),
        sa.column("created_at", sa.DateTime(True)),
    )
    plain = (
        "area_ods", "stage", "review_route", "given_name", "family_name", "age_at_death", "sex", "ethnic_category",
        "learning_disability_level", "autism", "place_of_death", "died_in_england", "national_data_opt_out",
        "created_by",
    )  # fmt: skip
    notification = sa.table(
        "notification",
        sa.column("id", sa.Uuid()),
        *(sa.column(c, sa.JSON()) for c in ("cause_of_death", "other_processes", "notifier")),
        *(sa.column(c, sa.Date()) for c in ("date_of_birth", "date_of_death", "notified_on")),
        sa.column("received_at", sa.DateTime(True)),
        *(sa.column(c) for c in plain),
    )
    person = {
        "given_name": "A", "family_name": "B", "date_of_birth": date(1970, 1, 1), "date_of_death": date(2019, 8, 30),
        "age_at_death": 49, "sex": "female", "ethnic_category": "A", "learning_disability_level": "mild",
        "autism": False, "place_of_death": "home", "died_in_england": True, "national_data_opt_out": False,
        "cause_of_death": {"part_1": [{"text": "Sepsis"}], "part_2": []}, "other_processes": [], "notifier": {},
    }  # fmt: skip
    try:
        with engine.begin() as connection:
            connection.execute(area.insert().values(ods_code="15F", name="Leeds", created_at=received))
            connection.execute(
                staff.insert().values(
                    id=uuid.uuid4(), role="reviewer", area_ods="15F", name="R", email="r@x.org", active=True,
                    created_at=received,
                )
            )  # fmt: skip
            connection.execute(
                notification.insert().values(
                    id=uuid.uuid4(), area_ods="15F", stage="notified", review_route="leder", created_by="user:x",
                    notified_on=date(2019, 8, 31), received_at=received, **person,
                )
            )  # fmt: skip
        command.upgrade(config, "head")
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT version, sla_due_ordinal, sla_paused_since_ordinal, reviewer_id FROM notification")
            ).one()
            profile = connection.execute(text("SELECT max_active_reviews FROM reviewer_profile")).one()
        assert row.version == 1
        assert date.fromordinal(row.sla_due_ordinal) == date(2020, 2, 29)  # 31 August + 6 months, leap year
        assert row.sla_paused_since_ordinal is None
        assert row.reviewer_id is None
        assert profile.max_active_reviews == 10
    finally:
        engine.dispose()


def test_the_feed_migration_places_existing_events_in_the_order_the_old_feed_served_them(tmp_path: Path):
    """Events get positions in (writing transaction, id) order, so an old cursor resumes at the same place;
    the webhook fan-out's place moves to the position of the event it had reached."""
    settings = make_settings(tmp_path, database_url=scratch_database_url())
    config = alembic_config(settings)
    config.attributes["configure_logger"] = False
    command.upgrade(config, "3b5f0c7d9e21")  # the last revision ordering by transaction id
    engine = create_engine(settings.sync_database_url)
    insert = text(
        "INSERT INTO outbox_event (id, event_id, type, occurred_at, area_ods, payload, tx_order) "
        "VALUES (:id, :event_id, 'notification.created', '2025-03-17 10:00:00+00:00', '15F', '{}', :tx)"
    )
    # id 1 and 3 were written by transaction 700, id 2 by 650 (which started earlier and committed first).
    try:
        with engine.begin() as connection:
            for ident, tx in ((1, 700), (2, 650), (3, 700)):
                connection.execute(insert, {"id": ident, "event_id": uuid.uuid4().hex, "tx": tx})
            connection.execute(text("INSERT INTO feed_position (name, tx_order, event_id) VALUES ('webhooks', 700, 1)"))
        command.upgrade(config, "head")
        with engine.connect() as connection:
            placed = connection.execute(text("SELECT id, position FROM outbox_event ORDER BY position")).all()
            fanned_to = connection.execute(text("SELECT position FROM feed_position")).scalar_one()
        assert [tuple(row) for row in placed] == [(2, 1), (1, 2), (3, 3)]
        assert fanned_to == 2  # events 2 and 1 were fanned out; 3 is next
    finally:
        engine.dispose()
