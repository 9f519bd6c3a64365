"""Settings, read once from `LEDER_*` environment variables (see the table in docs/operations.md)."""

from __future__ import annotations

import os
import secrets
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    development = "development"
    production = "production"


# Secrets that have appeared in examples; refused in production whatever their length.
_WELL_KNOWN_SECRETS = {"changeme", "secret", "change-me-in-production", "development-secret"}
_MIN_SECRET_BYTES = 32
# Settings that may be given as a file's content (LEDER_<NAME>_FILE), as container platforms mount secrets.
_SECRET_SETTINGS = ("secret_key", "previous_secret_keys", "audit_chain_key", "database_url", "metrics_token")


class ConfigurationError(RuntimeError):
    """The settings cannot run the service; the message says which setting and why."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDER_", env_file=None, extra="ignore")

    environment: Environment = Environment.development
    # The interactive API docs (/docs, /redoc) and /openapi.json, served from files installed with the service,
    # never a CDN. Unset: on in development, off in production (the spec is committed in openapi/openapi.json).
    api_docs: bool | None = None
    # Production needs an explicit LEDER_DATABASE_URL; this deliberately opts in to the SQLite file instead.
    allow_sqlite_in_production: bool = False
    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is a SQLite file in the data directory.",
    )
    secret_key: SecretStr | None = None
    # Key rotation: the keys LEDER_SECRET_KEY replaced, separated by commas or whitespace. They still verify
    # tokens (and decrypt page cursors) until those expire; only the current key signs (docs/operations.md).
    previous_secret_keys: SecretStr | None = None
    token_issuer: str = "leder"  # noqa: S105
    token_audience: str = "leder-api"  # noqa: S105
    token_default_ttl_seconds: int = Field(default=8 * 3600, gt=0)
    token_max_ttl_seconds: int = Field(default=24 * 3600, gt=0)
    client_token_ttl_seconds: int = Field(default=3600, gt=0)
    token_leeway_seconds: int = Field(default=30, ge=0, le=300)
    token_max_bytes: int = Field(default=4096, ge=512)
    # An external identity provider (NHS CIS2 in production): its JWKS endpoint, fetched by PyJWT's
    # PyJWKClient and cached; a token naming a key not in the cache fetches the set again, at most once per
    # cool-down, so the provider can rotate its keys without us.
    oidc_jwks_url: str | None = None
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_cache_seconds: int = Field(default=300, ge=1, le=24 * 3600)
    oidc_jwks_refetch_cooldown_seconds: int = Field(default=30, ge=0, le=3600)
    oidc_jwks_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # How long a process remembers a staff or integrator caller as the database gave it (app/auth/callers.py):
    # a deactivation or role change made elsewhere holds here within this; 0 looks the caller up every request.
    caller_cache_seconds: float = Field(default=5.0, ge=0, le=60)
    # A family's code works for the life of the review, until revoked, reissued, or this many days after the
    # review completes or is excluded. Sessions end after an idle spell or an absolute limit, or at sign-out.
    family_access_days_after_review: int = Field(default=90, ge=1, le=3650)
    family_session_idle_seconds: int = Field(default=30 * 60, ge=60, le=24 * 3600)
    family_session_absolute_seconds: int = Field(default=12 * 3600, ge=60, le=7 * 24 * 3600)
    # Wrong codes: this many free per client (and per code) in the window, then a doubling back-off that never
    # exceeds the cap, so a right code from a shared address is refused for at most the cap.
    family_code_failures_per_client: int = Field(default=10, ge=1)
    family_code_attempts_per_code: int = Field(default=5, ge=1)
    family_code_window_seconds: int = Field(default=15 * 60, ge=1)
    family_code_backoff_cap_seconds: int = Field(default=60, ge=1, le=60)
    # Failed client-credential logins (POST /auth/token) counted per address in that window; past the limit an
    # address waits 1, 2, 4... seconds between tries, never more than the back-off cap. Not per client id: anyone
    # who knows an id could lock its owner out, and client secrets are too long to guess.
    token_failures_per_address: int = Field(default=30, ge=1)
    token_failure_window_seconds: int = Field(default=15 * 60, ge=1)
    token_failure_backoff_seconds: int = Field(default=60, ge=1, le=60)
    # The family pages' session cookie is sent over HTTPS only (browsers treat http://localhost as secure).
    family_cookie_secure: bool = True
    concern_acknowledgement_working_days: int = Field(default=10, ge=1, le=60)
    sla_at_risk_days: int = Field(default=30, ge=1, le=180)
    # The general population's median age at death, set beside each area's in the annual report, and where it
    # comes from (printed with it). Default: deaths registered in England and Wales in 2018 (ONS), as the LeDeR
    # annual report 2018 (University of Bristol, 2019) quotes them: men 83, women 86, against 60 and 59 for the
    # people with a learning disability whose deaths it reviewed. Update all three together.
    report_reference_median_age_male: float = Field(default=83, ge=0, le=120)
    report_reference_median_age_female: float = Field(default=86, ge=0, le=120)
    report_reference_age_source: str = Field(
        default="General population of England and Wales: median age at death of deaths registered in 2018 "
        "(ONS), as quoted by the LeDeR annual report 2018",
        min_length=1,
        max_length=300,
    )
    # The worker (`leder worker`): how often it sweeps the SLA clocks, in how many notifications per
    # transaction, and how long its lease lasts without renewal (a dead worker's lease lapses).
    worker_sweep_interval_seconds: int = Field(default=300, ge=1)
    worker_sweep_chunk: int = Field(default=2000, ge=1, le=10_000)  # within drivers' parameter limits
    worker_lease_seconds: int = Field(default=60, ge=5)
    worker_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    # Webhooks: attempts before a delivery is dead-lettered, the timeout of one attempt, the backoff
    # between attempts (doubling from the base, with full jitter, capped), how long a worker's claim
    # on a delivery lasts, and hosts allowed despite resolving to private or loopback addresses.
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    webhook_backoff_base_seconds: float = Field(default=5.0, gt=0)
    webhook_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_claim_seconds: int = Field(default=60, ge=1)
    webhook_allowed_private_hosts: list[str] = Field(default_factory=list)
    # The change feed's relay (app/events/relay.py) inside each API process as well as in the worker.
    # Unset: on in development (the embedded default then has a feed without `leder worker`), off in
    # production (the worker relays; an API process then spends nothing on it).
    feed_relay_in_api: bool | None = None
    # `leder serve`, `leder worker` and the operator's commands migrate the schema to head first (one at a
    # time: an advisory lock on PostgreSQL). Production: set false and run `leder migrate` as its own job.
    migrate_on_start: bool = True
    # Retention (the worker prunes, every `worker_prune_interval_seconds`, in short batches): idempotency
    # records (a retry, or a re-run import file, older than this creates anew), webhook deliveries delivered
    # this long ago. Rate-limit counts are kept only as long as the longest rate-limit window.
    idempotency_retention_days: int = Field(default=30, ge=1)
    webhook_delivery_retention_days: int = Field(default=30, ge=1)
    worker_prune_interval_seconds: int = Field(default=3600, ge=1)
    forwarded_allow_ips: str | None = Field(
        default=None, description="Proxies trusted to give the client address (X-Forwarded-For); none by default."
    )
    max_body_bytes: int = Field(default=1_000_000, gt=0)
    # Optional key for the audit chain's hashes (HMAC-SHA256): without it, anyone who can write to the
    # database can recompute the chain; with it, only holders of the key can (app/audit/chain.py).
    audit_chain_key: SecretStr | None = None
    # GET /metrics (Prometheus): with a token, only to `Authorization: Bearer <token>`; without one, open in
    # development and 404 in production. The worker serves its own on this port when set (no token there:
    # keep the port on the private network); unset, it counts but serves nothing.
    metrics_token: SecretStr | None = None
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65535)
    log_level: str = "INFO"
    db_pool_size: int = Field(default=10, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _secrets_from_files(cls, values: Any) -> Any:
        # Docker and Kubernetes mount secrets as files: LEDER_<NAME>_FILE names the file holding LEDER_<NAME>.
        if not isinstance(values, dict):
            return values
        for name in _SECRET_SETTINGS:
            path = os.environ.get(f"LEDER_{name.upper()}_FILE")
            if not path:
                continue
            if values.get(name) is not None:
                raise ValueError(f"set LEDER_{name.upper()} or LEDER_{name.upper()}_FILE, not both")
            try:
                values[name] = Path(path).read_text().strip()
            except OSError as exc:
                raise ValueError(f"LEDER_{name.upper()}_FILE cannot be read ({exc.strerror})") from None
        return values

    @model_validator(mode="after")
    def _external_idp_complete(self) -> Settings:
        parts = (self.oidc_jwks_url, self.oidc_issuer, self.oidc_audience)
        if any(parts) and not all(parts):
            raise ValueError("LEDER_OIDC_JWKS_URL, LEDER_OIDC_ISSUER and LEDER_OIDC_AUDIENCE go together")
        if self.oidc_jwks_url and urlsplit(self.oidc_jwks_url).scheme not in ("https", "http"):
            raise ValueError("LEDER_OIDC_JWKS_URL must be an https:// URL")
        return self

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.production

    @property
    def serves_api_docs(self) -> bool:
        return self.api_docs if self.api_docs is not None else not self.is_production

    def check_startable(self) -> None:
        """Refuse unsafe defaults before the service starts: raises ConfigurationError naming the setting."""
        _ = self.verification_keys
        if self.is_production and self.oidc_jwks_url and not self.oidc_jwks_url.startswith("https://"):
            raise ConfigurationError("LEDER_OIDC_JWKS_URL must be an https:// URL in production")
        if self.is_production and self.metrics_token is not None:
            token = self.metrics_token.get_secret_value()
            if _is_weak(token):
                raise ConfigurationError(
                    f"LEDER_METRICS_TOKEN must be a random value of at least {_MIN_SECRET_BYTES} bytes"
                )
        if self.is_production and not self.database_url and not self.allow_sqlite_in_production:
            raise ConfigurationError(
                "LEDER_DATABASE_URL is required when LEDER_ENVIRONMENT=production "
                "(or set LEDER_ALLOW_SQLITE_IN_PRODUCTION=true to use the SQLite file in LEDER_DATA_DIR)"
            )

    @property
    def sync_database_url(self) -> str:
        """The URL for Alembic and other synchronous tools."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'leder.db').resolve()}"

    @property
    def async_database_url(self) -> str:
        """The same database through an asyncio driver (psycopg 3 serves both; SQLite via aiosqlite)."""
        url = self.sync_database_url
        if url.startswith("sqlite://"):
            return "sqlite+aiosqlite://" + url.removeprefix("sqlite://")
        return url

    @property
    def relays_in_api(self) -> bool:
        return self.feed_relay_in_api if self.feed_relay_in_api is not None else not self.is_production

    @property
    def is_sqlite(self) -> bool:
        return self.sync_database_url.startswith("sqlite")

    @cached_property
    def signing_key(self) -> str:
        """The HS256 key for the service's own tokens.

        Production must be given one. Development without one keeps a generated key in the data
        directory (mode 0600), so the embedded default works on first start and tokens survive restarts.
        """
        if self.secret_key is not None:
            key = self.secret_key.get_secret_value()
            if self.is_production and _is_weak(key):
                raise ConfigurationError(
                    f"LEDER_SECRET_KEY must be a random value of at least {_MIN_SECRET_BYTES} bytes"
                )
            return key
        if self.is_production:
            raise ConfigurationError("LEDER_SECRET_KEY is required when LEDER_ENVIRONMENT=production")
        return _load_or_create_secret(self.data_dir / "secret_key")

    @cached_property
    def verification_keys(self) -> list[str]:
        """The current signing key, then the previous ones (LEDER_PREVIOUS_SECRET_KEYS), newest first."""
        previous = self.previous_secret_keys.get_secret_value() if self.previous_secret_keys else ""
        keys = [self.signing_key]
        for key in previous.replace(",", " ").split():
            if self.is_production and _is_weak(key):
                raise ConfigurationError(
                    f"each of LEDER_PREVIOUS_SECRET_KEYS must be a random value of at least {_MIN_SECRET_BYTES} bytes"
                )
            if key not in keys:
                keys.append(key)
        return keys


def _is_weak(secret: str) -> bool:
    """Refused in production: shorter than the minimum, or a value that has appeared in examples."""
    return len(secret.encode()) < _MIN_SECRET_BYTES or secret.lower() in _WELL_KNOWN_SECRETS


def ensure_private_dir(path: Path) -> None:
    """The data directory holds the database and the secret: readable by the service's user only."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def _load_or_create_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    ensure_private_dir(path.parent)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting together must not overwrite each other's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def get_settings() -> Settings:
    return Settings()
