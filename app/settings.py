"""Every environment variable the service reads, read once into a frozen object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-secret-change-me"  # noqa: S105 - the known development default


class SettingsError(RuntimeError):
    """The settings cannot run in this environment (e.g. production with a default secret)."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def default_database_url() -> str:
    return f"sqlite:///{REPO_ROOT / 'instance' / 'huiminbao.db'}"


@dataclass(frozen=True)
class Settings:
    app_env: str = "development"  # APP_ENV: development | test | production
    secret_key: str = DEV_SECRET  # SECRET_KEY
    database_url: str = ""  # DATABASE_URL (sqlite:///... or postgresql+psycopg://...)
    dev_standins: bool = False  # DEV_STANDINS=1 mounts the local provider stand-ins
    log_level: str = "INFO"  # LOG_LEVEL
    max_content_length: int = 1 * 1024 * 1024  # MAX_CONTENT_LENGTH (bytes) for JSON bodies
    static_dir: str = str(REPO_ROOT / "static")

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            app_env=env.get("APP_ENV", "development"),
            secret_key=env.get("SECRET_KEY", DEV_SECRET),
            database_url=env.get("DATABASE_URL") or default_database_url(),
            dev_standins=_bool(env.get("DEV_STANDINS")),
            log_level=env.get("LOG_LEVEL", "INFO"),
            max_content_length=int(env.get("MAX_CONTENT_LENGTH", str(1024 * 1024))),
        )

    def with_overrides(self, overrides: Mapping[str, Any] | None) -> Settings:
        if not overrides:
            return self
        names = {f.name for f in fields(self)}
        known = {k.lower(): v for k, v in overrides.items() if k.lower() in names}
        return replace(self, **known)

    def check(self) -> None:
        if self.app_env not in {"development", "test", "production"}:
            raise SettingsError(
                f"APP_ENV must be development, test or production, not {self.app_env!r}"
            )
        if self.is_production:
            if self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
                raise SettingsError(
                    "APP_ENV=production needs SECRET_KEY set to a random value of 32+ characters"
                )
            if self.dev_standins:
                raise SettingsError("DEV_STANDINS must not be set in production")
