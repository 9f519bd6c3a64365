"""Answers built from views the service made itself.

FastAPI validates a returned value against the route's `response_model` before serialising it; for a view built
from our own rows that is pure cost (a list of 50 spent over a millisecond there), and building the view as
pydantic models at all cost most of a list's time. A route that returns `json_response(view)` is serialised once:
a model by pydantic's own serialiser, exactly as FastAPI would have done it; a plain dictionary in a model's
shape (app/notifications/stored.py) by orjson, whose output for our values (UUIDs, dates, UTC times written
with `Z`, string enums) is pydantic's, character for character (tests/api/test_views_match_their_models.py).
The `response_model` on the route still documents the shape (and tests/test_schema_and_spec.py holds the spec
to it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import Response
from pydantic import BaseModel

_ORJSON_OPTIONS = orjson.OPT_UTC_Z  # "2026-01-02T03:04:05Z", as pydantic writes a UTC time


def json_response(
    view: BaseModel | Mapping[str, Any], status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    body = view.model_dump_json() if isinstance(view, BaseModel) else orjson.dumps(view, option=_ORJSON_OPTIONS)
    return Response(body, status_code, headers, media_type="application/json")
