from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from app.core.models import utc_field


class IntegratorClient(SQLModel, table=True):
    """A machine client of an NHS system, authenticated by OAuth 2.0 client credentials."""

    __tablename__ = "integrator_client"

    client_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    # SHA-256 of a 256-bit random secret: a slow password hash adds nothing against brute force
    # at that entropy, and would cost every token request.
    secret_sha256: str = Field(max_length=64)
    scopes: list[str] = Field(sa_type=JSON)
    areas: list[str] = Field(sa_type=JSON)
    active: bool = True
    created_at: datetime = utc_field()
