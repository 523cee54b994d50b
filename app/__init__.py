"""Huimin Bao member service: the application factory."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, error handlers, CLI. Nothing else.

    `overrides` replaces settings by name (e.g. {"DATABASE_URL": ..., "APP_ENV": "test"}).
    """
    # imported here so that `import app.rules` (the pure engine) does not load Flask
    from flask import Flask

    from app.settings import Settings

    settings = Settings.from_env().with_overrides(overrides)
    settings.check()
    logging.basicConfig(level=settings.log_level)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    app = Flask(__name__, static_folder=settings.static_dir, static_url_path="/static")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        JSON_SORT_KEYS=False,
        API_TITLE="Huimin Bao member service",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["settings"] = settings
    if settings.proxy_hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )

    from app.admin.routes import blp as admin_blp
    from app.auth import sessions
    from app.auth.routes import auth_bp
    from app.claims.routes import blp as claims_blp
    from app.claims.staff_routes import blp as staff_claims_blp
    from app.core.cli import db_cli
    from app.core.db import Database
    from app.core.security import init_security
    from app.core.web import init_web
    from app.enrollment.certificate_routes import blp as policies_blp
    from app.enrollment.certificate_routes import pages as certificate_pages
    from app.enrollment.routes import blp as enrollment_blp
    from app.extensions import limiter, make_api
    from app.identity import crypto
    from app.identity.cli import keys_cli
    from app.members.routes import blp as me_blp
    from app.notifications.routes import blp as messages_blp
    from app.payments.personal_routes import blp as personal_account_blp
    from app.payments.routes import blp as pay_blp
    from app.payments.routes import notices as payment_notices
    from app.plans.cli import plans_cli
    from app.plans.routes import blp as plans_blp
    from app.staff.cli import staff_cli
    from app.staff.console import console as staff_console
    from app.staff.routes import blp as staff_blp

    crypto.configure(
        crypto.KeyRing.from_settings(
            settings.pii_keys, settings.pii_active_key, settings.pii_index_key, settings.secret_key
        )
    )
    Database(settings.database_url).init_app(app)
    from app.documents import storage_from_settings

    app.extensions["document_storage"] = storage_from_settings(settings)
    app.config.update(
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri,
        RATELIMIT_HEADERS_ENABLED=True,
    )
    limiter.init_app(app)
    init_security(app, sessions.member_loader, sessions.staff_loader)
    api = make_api()
    api.init_app(app)
    app.extensions["api"] = api
    api.register_blueprint(plans_blp)
    api.register_blueprint(me_blp)
    api.register_blueprint(staff_blp)
    api.register_blueprint(enrollment_blp)
    api.register_blueprint(pay_blp)
    api.register_blueprint(personal_account_blp)
    api.register_blueprint(policies_blp)
    api.register_blueprint(claims_blp)
    api.register_blueprint(staff_claims_blp)
    api.register_blueprint(messages_blp)
    api.register_blueprint(admin_blp)
    app.register_blueprint(staff_console)
    app.register_blueprint(certificate_pages)
    app.register_blueprint(payment_notices)
    app.register_blueprint(auth_bp)
    # a provider configured in part (an app id without its keys…) fails the start, not a login
    from app.auth.providers.config import alipay_config, wechat_config

    wechat_config(settings)
    alipay_config(settings)
    if settings.dev_standins:
        from app.standins.alipay_pay import alipay_pay_bp
        from app.standins.routes import standins_bp
        from app.standins.wechat_messages import wechat_messages_bp
        from app.standins.wechatpay import wechatpay_bp

        app.register_blueprint(standins_bp)
        app.register_blueprint(wechatpay_bp)
        app.register_blueprint(alipay_pay_bp)
        app.register_blueprint(wechat_messages_bp)
    init_web(app)
    app.cli.add_command(db_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(staff_cli)
    from app.payments.cli import orders_cli, payments_cli

    app.cli.add_command(orders_cli)
    app.cli.add_command(payments_cli)
    app.cli.add_command(plans_cli)
    from app.demo.cli import demo_cli

    app.cli.add_command(demo_cli)
    from app.roster.cli import roster_cli

    app.cli.add_command(roster_cli)
    return app
