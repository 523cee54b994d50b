"""The service shell: settings, health, error format, security headers, migrations, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from app import create_app
from app.core.cli import upgrade
from app.models import Base
from app.settings import DEV_SECRET, Settings, SettingsError

REPO = Path(__file__).resolve().parent.parent


# --- settings -------------------------------------------------------------------


def test_settings_defaults_are_safe_for_development():
    settings = Settings.from_env({})
    assert settings.app_env == "development"
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("instance/huiminbao.db")
    settings.check()


@pytest.mark.parametrize(
    "env",
    [
        {"APP_ENV": "production"},
        {"APP_ENV": "production", "SECRET_KEY": DEV_SECRET},
        {"APP_ENV": "production", "SECRET_KEY": "short"},
        {"APP_ENV": "production", "SECRET_KEY": "x" * 40, "DEV_STANDINS": "1"},
        {"APP_ENV": "staging"},
        {"APP_ENV": "production", "SECRET_KEY": "x" * 40},
    ],
    ids=["no-secret", "dev-secret", "short-secret", "standins", "unknown-env", "no-pii-keys"],
)
def test_production_refuses_unsafe_settings(env, monkeypatch):
    for key in ("APP_ENV", "SECRET_KEY", "DEV_STANDINS", "PII_KEYS", "PII_INDEX_KEY"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError):
        create_app({"DATABASE_URL": "sqlite://"})


def test_production_starts_with_a_real_secret(monkeypatch):
    import base64
    import os

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.setenv("PII_KEYS", "k1:" + base64.urlsafe_b64encode(os.urandom(32)).decode())
    monkeypatch.setenv("PII_INDEX_KEY", base64.urlsafe_b64encode(os.urandom(32)).decode())
    monkeypatch.delenv("DEV_STANDINS", raising=False)
    app = create_app({"DATABASE_URL": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


# --- health ----------------------------------------------------------------------


def test_healthz_and_readyz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": "ok"}


def test_readyz_reports_a_dead_database(tmp_path):
    app = create_app({"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["error"] == "database_unavailable"
    assert body["checks"] == {"database": "fail"}


@pytest.mark.parametrize(("hops", "seen"), [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_the_client_address_behind_a_proxy(tmp_path, hops, seen):
    """With PROXY_HOPS the client address (rate limits, audit log, payer IP) is the one the
    proxy forwarded; without it a forged X-Forwarded-For is ignored."""
    from flask import request

    from app.core.security import public

    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}", "APP_ENV": "test", "PROXY_HOPS": hops}
    )
    app.add_url_rule("/_address", "address", public(lambda: {"ip": request.remote_addr}))
    resp = app.test_client().get(
        "/_address",
        headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert resp.get_json() == {"ip": seen}


# --- errors and headers ---------------------------------------------------------------


def test_unknown_path_uses_the_error_format(client):
    resp = client.get("/api/v1/nothing-here")
    assert resp.status_code == 404
    body = resp.get_json()
    assert set(body) >= {"code", "status", "error", "message", "message_zh"}
    assert body["error"] == "not_found"


def test_method_not_allowed_says_allow(client):
    resp = client.delete("/api/v1/plans")
    assert resp.status_code == 405
    assert "GET" in resp.headers["Allow"]
    assert resp.get_json()["error"] == "method_not_allowed"


def test_body_too_large_is_413(client, samples):
    resp = client.post(
        "/api/v1/plans/xm-2023/estimates",
        data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        content_type="application/json",
    )
    assert resp.status_code == 413
    assert resp.get_json()["error"] == "payload_too_large"


def test_unexpected_error_is_a_clean_500(app, connection, monkeypatch):
    from app.plans import service

    def boom(*_a, **_k):
        raise RuntimeError("bug")

    monkeypatch.setattr(service, "list_plans", boom)
    resp = app.test_client().get("/api/v1/plans")
    assert resp.status_code == 500
    body = resp.get_json()
    assert body["error"] == "internal_error"
    assert "bug" not in json.dumps(body)


def test_security_headers(client):
    resp = client.get("/healthz")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_openapi_and_offline_docs(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/plans/{code}/estimates" in spec["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    html = docs.get_data(as_text=True)
    assert "<script" in html and "http" not in html.split("<body")[0].replace("http-equiv", ""), (
        "the docs page must not load anything from another host"
    )


def test_front_end_served(client):
    resp = client.get("/")
    assert resp.status_code == 200
    assert b'type="module"' in resp.data


# --- migrations ----------------------------------------------------------------------


def test_migrations_match_the_models(tmp_path, database_url):
    """An empty database upgraded to head has exactly the models' schema."""
    url = database_url if database_url.startswith("postgresql") else f"sqlite:///{tmp_path}/m.db"
    if not url.startswith("postgresql"):
        upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert diff == []
    assert {"plans", "alembic_version"} <= tables


def test_revision_files_are_date_prefixed():
    names = [p.name for p in (REPO / "migrations" / "versions").glob("*.py")]
    assert names
    for name in names:
        assert name[:8].isdigit() and name[8] == "_" and name[9:13].isdigit(), name


# --- CLI ---------------------------------------------------------------------------------


def test_cli_load_reports_bad_fields(app, tmp_path, connection):
    bad = tmp_path / "bad.yaml"
    text = (REPO / "app/plans/terms/xm-2023.yaml").read_text(encoding="utf-8")
    bad.write_text(
        text.replace("ratio_bp: {standard: 8000,", "ratio_bp: {standard: 18000,", 1),
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(args=["plans", "load", str(bad)])
    assert result.exit_code == 2
    assert "liabilities.0.ratio_bp.standard" in result.output


def test_cli_load_publishes_then_versions(app, tmp_path, connection):
    from app.core.db import get_session
    from app.plans import service

    runner = app.test_cli_runner()
    src = REPO / "app/plans/terms/xm-2023.yaml"
    first = runner.invoke(args=["plans", "load", str(src)])
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=["plans", "load", str(src)])
    assert "unchanged" in again.output
    changed = tmp_path / "xm-2023.yaml"
    changed.write_text(
        src.read_text(encoding="utf-8").replace("premium_fen: 129_00", "premium_fen: 139_00"),
        encoding="utf-8",
    )
    third = runner.invoke(args=["plans", "load", str(changed)])
    assert third.exit_code == 0, third.output
    assert "v2: published" in third.output
    with app.app_context():
        plan = service.get_plan(get_session(), "xm-2023")
        assert plan.version == 2
        assert plan.terms["premium_rules"][1]["premium_fen"] == 13900


def test_nul_characters_are_refused_not_a_500(client, samples):
    assert client.get("/api/v1/plans/xm%002023").status_code == 404
    assert client.get("/api/v1/plans", query_string={"x": "a\x00"}).status_code == 422
    resp = client.post(
        "/api/v1/plans/xm-2023/tier-check", json={"declared_conditions": ["dia\x00betes"]}
    )
    assert resp.status_code == 422
