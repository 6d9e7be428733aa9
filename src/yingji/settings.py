"""One validated settings object, read from the environment (prefix ``YINGJI_``)."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "dev", ""}


class Settings(BaseSettings):
    """Everything an operator can set; see docs/operations.md."""

    model_config = SettingsConfigDict(env_prefix="YINGJI_", extra="ignore")

    env: str = Field(default="development", description="development | production | test")
    var_dir: Path = Field(default=Path("var"))
    database_url: str = ""
    secret_key: str = ""
    queue_url: str = ""
    tz: str = "Asia/Shanghai"
    lang: str = "zh_CN"
    base_url: str = "http://127.0.0.1:8000"

    session_hours: float = 12.0
    session_idle_minutes: float = 120.0
    login_fail_limit_account: int = 5
    login_fail_limit_address: int = 20
    login_fail_window_minutes: int = 15

    # How long a statement waits for a lock another transaction holds (SQLite's busy timeout, PostgreSQL's
    # lock_timeout) before the request is answered "busy, try again" (503) with nothing saved.
    db_busy_seconds: float = Field(default=10.0, gt=0, le=600)

    max_upload_mb: float = 50.0
    max_import_mb: float = 5.0
    max_body_mb: float = 60.0

    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "yingji@localhost"
    smtp_starttls: bool = False
    smtp_timeout: float = 10.0

    @field_validator("tz")
    @classmethod
    def _tz_exists(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @field_validator("lang")
    @classmethod
    def _lang_known(cls, value: str) -> str:
        if value not in ("zh_CN", "en"):
            raise ValueError("YINGJI_LANG must be zh_CN or en")
        return value

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        self.var_dir = self.var_dir.resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'yingji.db'}"
        if self.secret_key.strip().lower() in PLACEHOLDER_SECRETS:
            if self.env == "production":
                raise ValueError("YINGJI_SECRET_KEY must be set to a real secret in production")
            self.secret_key = _development_secret(self.var_dir)
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def attachments_dir(self) -> Path:
        return self.var_dir / "attachments"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


def _development_secret(var_dir: Path) -> str:
    """A secret generated once into var/ so development sessions survive restarts."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
