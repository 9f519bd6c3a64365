"""An SQLite database (the embedded default) with about `target` notifications, copied from the PostgreSQL one.

The schema comes from the migrations, as `leder serve` builds it; the rows through SQLAlchemy Core with the
service's own column types (UUIDs, UTC timestamps, JSON), so they read back exactly as the service wrote
them. Whole areas are copied, in code order, until `target` is reached, with their staff, holds and flags.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table on the metadata)
from app.core.config import Settings
from app.core.migrations import upgrade_to_head

CHUNK = 5000


def copy_subset(postgres_url: str, path: Path, target: int) -> tuple[list[str], int, float]:
    """The areas copied, the notifications copied, and the seconds it took."""
    started = time.perf_counter()
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    upgrade_to_head(Settings(database_url=url), quiet=True)
    source, sink = create_engine(postgres_url), create_engine(url)
    tables = SQLModel.metadata.tables
    notification = tables["notification"]
    area = notification.c.area_ods
    with source.connect() as pg:
        counts = pg.execute(select(area, func.count()).group_by(area).order_by(area)).all()
    areas, total = [], 0
    for ods, count in counts:
        if total >= target:
            break
        areas.append(ods)
        total += count
    in_areas = area.in_(areas)
    wanted = [
        (tables["area"], None),
        (tables["staff_user"], None),
        (tables["reviewer_profile"], None),
        (tables["integrator_client"], None),
        (notification, in_areas),
        (tables["hold"], tables["hold"].c.notification_id.in_(select(notification.c.id).where(in_areas))),
        (tables["bias_flag"], tables["bias_flag"].c.notification_id.in_(select(notification.c.id).where(in_areas))),
    ]
    with source.connect() as pg, sink.begin() as lite:
        for table, where in wanted:
            query = select(table) if where is None else select(table).where(where)
            result = pg.execution_options(yield_per=CHUNK).execute(query)
            for rows in result.partitions():
                lite.execute(insert(table), [dict(row._mapping) for row in rows])
    with sink.connect() as lite:
        lite.execute(text("PRAGMA journal_mode=WAL"))
        lite.execute(text("ANALYZE"))
    source.dispose()
    sink.dispose()
    return areas, total, time.perf_counter() - started
