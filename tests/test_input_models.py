"""Every request body is built from app.core.inputs.InputModel, all the way down, so control characters are
refused in every field of every route (and unknown fields too)."""

from __future__ import annotations

import types
import typing

from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from app.core.inputs import InputModel
from app.main import create_app


def _models(annotation: object) -> set[type[BaseModel]]:
    found: set[type[BaseModel]] = set()
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        found.add(annotation)
        for field in annotation.model_fields.values():
            found |= _models(field.annotation)
    for argument in typing.get_args(annotation):
        found |= _models(argument)
    if isinstance(annotation, types.UnionType):
        for argument in annotation.__args__:
            found |= _models(argument)
    return found


def test_every_request_body_is_an_input_model(settings):
    bodies: set[type[BaseModel]] = set()
    for context in iter_route_contexts(create_app(settings).routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.body_field is not None:
            body = route.body_field.field_info.annotation
            if getattr(body, "__module__", "").startswith("fastapi."):
                continue  # a form, whose fields FastAPI gathers into a model of its own (see below)
            bodies |= _models(body)
    assert len(bodies) > 10
    outside = sorted(model.__qualname__ for model in bodies if not issubclass(model, InputModel))
    assert outside == []
