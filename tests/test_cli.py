"""The `leder` command, as an operator uses it: same settings as the service, clear failures."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import stat
import subprocess
import sys

import httpx
import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import ConfigurationError, Environment, Settings
from app.core.migrations import PROJECT_ROOT
from app.main import create_app
from tests.conftest import POSTGRES_URL, TEST_SECRET

UUID = re.compile(r"^[0-9a-f-]{36}$")


@pytest.fixture
def run(settings, monkeypatch):
    monkeypatch.setenv("LEDER_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("LEDER_SECRET_KEY", TEST_SECRET)
    if POSTGRES_URL:
        monkeypatch.setenv("LEDER_DATABASE_URL", POSTGRES_URL)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args))

    return invoke


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["migrate"],
        ["openapi"],
        ["areas", "add"],
        ["users", "add"],
        ["users", "deactivate"],
        ["users", "list"],
        ["clients", "add"],
        ["clients", "list"],
        ["clients", "rotate-secret"],
        ["clients", "deactivate"],
        ["areas", "list"],
        ["token", "issue"],
        ["demo"],
        ["backup"],
    ],
)
def test_every_command_has_help(run, command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_operator_sets_up_an_area_a_user_and_a_token_that_works(run, settings):
    assert run("migrate").exit_code == 0
    added = run("areas", "add", "--ods", "15F", "--name", "NHS Leeds CCG", "--region", "North East and Yorkshire")
    assert added.exit_code == 0, added.output
    user = run(
        "users",
        "add",
        "--role",
        "coordinator",
        "--area",
        "15F",
        "--name",
        "Ada",
        "--email",
        "ada@leder-test.org.uk",
    )
    assert user.exit_code == 0, user.output
    user_id = user.stdout.strip()
    assert UUID.match(user_id)
    token = run("token", "issue", "--user", user_id, "--ttl", "30m")
    assert token.exit_code == 0, token.output

    import asyncio

    async def call() -> int:
        application = create_app(settings)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/notifications", headers={"Authorization": f"Bearer {token.stdout.strip()}"})
        await application.state.engine.dispose()
        return response.status_code

    assert asyncio.run(call()) == 200

    assert run("users", "deactivate", user_id).exit_code == 0
    refused = run("token", "issue", "--user", user_id)
    assert refused.exit_code != 0
    assert "deactivated" in refused.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["areas", "add", "--ods", "bad code", "--name", "X"], "ods_code"),
        (["users", "add", "--role", "coordinator", "--name", "A", "--email", "a@leder-test.org.uk"], "area"),
        (
            [
                "users",
                "add",
                "--role",
                "national",
                "--area",
                "15F",
                "--name",
                "A",
                "--email",
                "n@leder-test.org.uk",
            ],
            "area",
        ),
        (["users", "add", "--role", "family", "--name", "A", "--email", "f@leder-test.org.uk"], "coordinator"),
        (
            [
                "users",
                "add",
                "--role",
                "coordinator",
                "--area",
                "99X",
                "--name",
                "A",
                "--email",
                "b@leder-test.org.uk",
            ],
            "area",
        ),
        (["users", "add", "--role", "admin", "--name", "A", "--email", "not-an-email"], "email"),
        (["token", "issue", "--user", "00000000-0000-0000-0000-000000000000"], "No such user"),
        (["token", "issue", "--user", "not-a-uuid"], "UUID"),
        (["clients", "add", "--name", "X", "--scope", "everything", "--area", "15F"], "scope"),
    ],
)
def test_bad_input_exits_non_zero_with_a_message(run, args, message):
    assert run("migrate").exit_code == 0
    result = run(*args)
    assert result.exit_code != 0
    assert message.lower() in result.output.lower()


def test_token_ttl_is_bounded(run):
    run("areas", "add", "--ods", "15F", "--name", "Leeds")
    user_id = run("users", "add", "--role", "admin", "--name", "A", "--email", "adm@leder-test.org.uk").output.strip()
    for ttl in ("0", "25h", "eight hours"):
        result = run("token", "issue", "--user", user_id, "--ttl", ttl)
        assert result.exit_code != 0, ttl


def test_clients_add_prints_the_secret_once(run):
    run("areas", "add", "--ods", "15F", "--name", "Leeds")
    result = run("clients", "add", "--name", "ME office", "--scope", "notifications:write", "--area", "15F")
    assert result.exit_code == 0, result.output
    assert re.search(r"client_id=lc_[0-9a-f]{16}\nclient_secret=\S{40,}", result.output)


def test_demo_loads_once_with_if_empty(run):
    first = run("demo", "--if-empty")
    second = run("demo", "--if-empty")
    assert first.exit_code == second.exit_code == 0, first.output
    assert "12 fictional notifications" in first.output
    assert re.search(r"family pages at /for-families \(use it each time\): ([0-9A-Z]{4}-){4}[0-9A-Z]{4}", first.output)
    assert "nothing loaded" in second.output


def test_openapi_command_writes_the_committed_spec(run, tmp_path):
    target = tmp_path / "spec.json"
    assert run("openapi", "--output", str(target)).exit_code == 0
    assert json.loads(target.read_text()) == json.loads((PROJECT_ROOT / "openapi" / "openapi.json").read_text())


def test_serve_refuses_to_start_in_production_without_a_secret(run, monkeypatch):
    monkeypatch.delenv("LEDER_SECRET_KEY")
    monkeypatch.setenv("LEDER_ENVIRONMENT", "production")
    result = run("serve")
    assert result.exit_code != 0
    assert "LEDER_SECRET_KEY" in result.output


def test_serve_refuses_production_without_a_database_url(run, monkeypatch):
    monkeypatch.delenv("LEDER_DATABASE_URL", raising=False)
    monkeypatch.setenv("LEDER_ENVIRONMENT", "production")
    monkeypatch.setenv("LEDER_SECRET_KEY", "x" * 40)
    result = run("serve")
    assert result.exit_code != 0
    assert "LEDER_DATABASE_URL" in result.output


async def test_production_may_opt_in_to_sqlite_and_serves_no_docs_by_default(tmp_path):
    production = Settings(environment=Environment.production, data_dir=tmp_path, secret_key="x" * 40)
    with pytest.raises(ConfigurationError, match="LEDER_DATABASE_URL"):
        production.check_startable()
    app = create_app(production.model_copy(update={"allow_sqlite_in_production": True}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert (await client.get(path)).status_code == 404, path
    await app.state.engine.dispose()
    docs_on = production.model_copy(update={"allow_sqlite_in_production": True, "api_docs": True})
    assert docs_on.serves_api_docs


def test_production_refuses_weak_secrets(tmp_path):
    for weak in ("changeme", "short"):
        settings = Settings(environment=Environment.production, data_dir=tmp_path, secret_key=weak)
        with pytest.raises(ConfigurationError):
            _ = settings.signing_key
    with pytest.raises(ConfigurationError):
        create_app(Settings(environment=Environment.production, data_dir=tmp_path))


def test_development_keeps_a_generated_secret_private_and_stable(tmp_path):
    first = Settings(data_dir=tmp_path / "data").signing_key
    again = Settings(data_dir=tmp_path / "data").signing_key
    path = tmp_path / "data" / "secret_key"
    assert first == again and len(first) >= 48
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_external_identity_provider_settings_go_together(tmp_path):
    with pytest.raises(ValueError, match="go together"):
        Settings(data_dir=tmp_path, oidc_issuer="https://idp.example")


def _leder(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed `leder` command in its own process, with only these settings."""
    base = {"PATH": os.environ.get("PATH", ""), "LEDER_DATA_DIR": str(tmp_path / "data")}
    command = [sys.executable, "-m", "app.cli", *args]
    return subprocess.run(command, env=base | env, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603


@pytest.mark.parametrize("command", ["migrate", "worker", "serve"])
def test_an_unreachable_database_is_one_line_naming_the_setting(tmp_path, command):
    # Port 9 (discard) is closed on test machines: the connection is refused at once.
    result = _leder(tmp_path, command, LEDER_DATABASE_URL="postgresql+psycopg://leder:pw@127.0.0.1:9/leder")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "LEDER_DATABASE_URL" in result.stderr and "Traceback" not in result.stderr
    assert "pw" not in result.stderr


def test_invalid_settings_are_one_line_each_naming_the_variable_not_the_value(tmp_path):
    result = _leder(tmp_path, "migrate", LEDER_DB_POOL_SIZE="hunter2", LEDER_WORKER_LEASE_SECONDS="1")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert any(line.startswith("error: LEDER_DB_POOL_SIZE:") for line in lines)
    assert any(line.startswith("error: LEDER_WORKER_LEASE_SECONDS:") for line in lines)
    assert "hunter2" not in result.stderr


def test_secrets_may_come_from_mounted_files(tmp_path, monkeypatch):
    (tmp_path / "key").write_text("k" * 40 + "\n")
    (tmp_path / "chain").write_text("c" * 40)
    monkeypatch.delenv("LEDER_SECRET_KEY", raising=False)
    monkeypatch.delenv("LEDER_DATABASE_URL", raising=False)
    monkeypatch.setenv("LEDER_SECRET_KEY_FILE", str(tmp_path / "key"))
    monkeypatch.setenv("LEDER_AUDIT_CHAIN_KEY_FILE", str(tmp_path / "chain"))
    settings = Settings(data_dir=tmp_path)
    assert settings.signing_key == "k" * 40
    assert settings.audit_chain_key is not None and settings.audit_chain_key.get_secret_value() == "c" * 40
    monkeypatch.setenv("LEDER_SECRET_KEY", "k" * 40)
    with pytest.raises(ValueError, match="not both"):
        Settings(data_dir=tmp_path)


def test_an_unreadable_secret_file_is_one_line_naming_the_variable(tmp_path):
    result = _leder(tmp_path, "migrate", LEDER_DATABASE_URL_FILE=str(tmp_path / "missing"))
    assert result.returncode == 2
    assert "LEDER_DATABASE_URL_FILE cannot be read" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_users_add_offers_exactly_the_staff_roles(run):
    result = run("users", "add", "--role", "family", "--name", "X", "--email", "x@example.org")
    assert result.exit_code != 0
    listed = result.output.replace("\n", " ")
    for role in ("coordinator", "reviewer", "national", "admin"):
        assert role in listed
    assert "integrator" not in listed


def _call(settings, method: str, path: str, **kwargs) -> httpx.Response:
    """One request to the service, as a client makes it (its own app: the CLI runs its own event loop)."""

    async def go() -> httpx.Response:
        application = create_app(settings)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://t") as api:
                return await api.request(method, path, **kwargs)
        finally:
            await application.state.engine.dispose()

    return asyncio.run(go())


def _token_request(settings, client_id: str, secret: str) -> httpx.Response:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    return _call(settings, "POST", "/auth/token", data=form)


def _without_request_id(response: httpx.Response) -> dict[str, object]:
    return {k: v for k, v in response.json().items() if k != "request_id"}


def _printed(result) -> dict[str, str]:
    assert result.exit_code == 0, result.output
    return dict(line.split("=", 1) for line in result.stdout.strip().splitlines())


def _client(run) -> tuple[str, str]:
    run("areas", "add", "--ods", "15F", "--name", "Leeds")
    added = _printed(run("clients", "add", "--name", "ME office", "--scope", "notifications:read", "--area", "15F"))
    return added["client_id"], added["client_secret"]


def test_list_commands_print_the_rows_and_never_a_secret(run):
    client_id, secret = _client(run)
    run("areas", "add", "--ods", "03C", "--name", "Wakefield", "--region", "North East and Yorkshire")
    ada = run(
        "users", "add", "--role", "coordinator", "--area", "15F", "--name", "Ada", "--email", "ada@leder-test.org.uk"
    )
    bo = run("users", "add", "--role", "admin", "--name", "Bo", "--email", "bo@leder-test.org.uk").stdout.strip()
    assert run("users", "deactivate", bo).exit_code == 0

    areas = run("areas", "list")
    assert areas.exit_code == 0, areas.output
    assert areas.stdout.splitlines() == [
        "ods_code  name       region",
        "03C       Wakefield  North East and Yorkshire",
        "15F       Leeds      -",
    ]
    assert json.loads(run("areas", "list", "--json").stdout) == [
        {"ods_code": "03C", "name": "Wakefield", "region": "North East and Yorkshire"},
        {"ods_code": "15F", "name": "Leeds", "region": None},
    ]

    users = run("users", "list")
    assert users.exit_code == 0, users.output
    lines = [line.split() for line in users.stdout.splitlines()]
    assert lines == [
        ["id", "role", "area", "status", "email"],
        [ada.stdout.strip(), "coordinator", "15F", "active", "ada@leder-test.org.uk"],
        [bo, "admin", "-", "deactivated", "bo@leder-test.org.uk"],
    ]
    active = json.loads(run("users", "list", "--active", "--json").stdout)
    assert [u["email"] for u in active] == ["ada@leder-test.org.uk"]
    assert set(active[0]) == {"id", "role", "area", "status", "email"}

    for args in (["clients", "list"], ["clients", "list", "--json"]):
        listed = run(*args)
        assert listed.exit_code == 0, listed.output
        assert client_id in listed.stdout
        assert secret not in listed.output
        assert hashlib.sha256(secret.encode()).hexdigest() not in listed.output
        assert "secret" not in listed.output
    assert json.loads(run("clients", "list", "--json").stdout) == [
        {
            "client_id": client_id,
            "name": "ME office",
            "status": "active",
            "scopes": ["notifications:read"],
            "areas": ["15F"],
        }
    ]


def test_rotating_a_client_secret_refuses_the_old_one_at_once(run, settings):
    client_id, old = _client(run)
    assert _token_request(settings, client_id, old).status_code == 200
    rotated = _printed(run("clients", "rotate-secret", client_id))
    assert rotated["client_id"] == client_id
    new = rotated["client_secret"]
    assert new != old and len(new) >= 40
    refused = _token_request(settings, client_id, old)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert _token_request(settings, client_id, new).status_code == 200


def test_a_deactivated_client_is_refused_its_tokens_and_new_ones(run, settings):
    client_id, secret = _client(run)
    token = _token_request(settings, client_id, secret).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert _call(settings, "GET", "/notifications", headers=bearer).status_code == 200
    wrong_secret = _token_request(settings, client_id, "not-the-secret")

    assert run("clients", "deactivate", client_id).stdout.strip() == "deactivated"
    assert _call(settings, "GET", "/notifications", headers=bearer).status_code == 401
    refused = _token_request(settings, client_id, secret)
    # The same answer as a wrong secret: a refusal says nothing about which clients exist or are active.
    assert (refused.status_code, _without_request_id(refused)) == (401, _without_request_id(wrong_secret))
    listed = json.loads(run("clients", "list", "--json").stdout)
    assert [c["status"] for c in listed] == ["deactivated"]
    assert json.loads(run("clients", "list", "--active", "--json").stdout) == []


def test_operators_changes_are_in_the_audit_trail(run, settings):
    client_id, _ = _client(run)
    admin = run("users", "add", "--role", "admin", "--name", "A", "--email", "adm@leder-test.org.uk").stdout.strip()
    token = run("token", "issue", "--user", admin).stdout.strip()
    assert run("clients", "rotate-secret", client_id).exit_code == 0
    assert run("clients", "deactivate", client_id).exit_code == 0
    response = _call(settings, "GET", "/audit", params={"actor": "cli"}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    rows = [(e["action"], e["object_type"], e["object_id"], e["outcome"]) for e in response.json()["items"]]
    assert rows == [
        ("area.create", "area", "15F", "allowed"),
        ("client.create", "integrator_client", client_id, "allowed"),
        ("user.create", "staff_user", admin, "allowed"),
        ("client.rotate_secret", "integrator_client", client_id, "allowed"),
        ("client.deactivate", "integrator_client", client_id, "allowed"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["clients", "rotate-secret", "lc_0000000000000000"], "error: No such client."),
        (["clients", "deactivate", "lc_0000000000000000"], "error: No such client."),
        (["users", "deactivate", "00000000-0000-0000-0000-000000000000"], "error: No such user."),
    ],
)
def test_unknown_ids_are_one_line_and_a_non_zero_exit(run, args, message):
    result = run(*args)
    assert result.exit_code != 0
    assert (result.stdout, result.stderr.strip()) == ("", message)
