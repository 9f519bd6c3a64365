"""Answers built from models the service made itself.

FastAPI validates a returned model against the route's `response_model` again before serialising it; for a view
built from our own rows that is pure cost (a list of 50 spent over a millisecond there). A route that returns
`json_response(view)` is serialised once, by pydantic's own serialiser, exactly as FastAPI would have done it; the
`response_model` on the route still documents the shape (and tests/test_schema_and_spec.py holds the spec to it).
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Response
from pydantic import BaseModel


def json_response(model: BaseModel, status_code: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(model.model_dump_json(), status_code, headers, media_type="application/json")
