"""Settings from the environment (prefix ``PATHWAYS_``) and an optional ``.env`` file.

Nothing is read at import time: call :func:`load_settings` from an entry point.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "local-development-only-change-me"  # noqa: S105  refused outside local use below


class Settings(BaseSettings):
    """Everything an operator can set; defaults give the embedded, local installation."""

    model_config = SettingsConfigDict(env_prefix="PATHWAYS_", env_file=".env", extra="ignore")

    environment: Literal["local", "test", "production"] = "local"
    home: Path = Field(default=Path("var"), description="where the embedded database and files live")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite under home")
    config_dir: Path = Field(default=Path("config"), description="pathways/, templates/")
    secret_key: str = Field(default=DEFAULT_SECRET, min_length=16, description="keys the audit chain, links")
    audit_key: str | None = Field(
        default=None,
        min_length=16,
        description="keys the audit chain; default: secret_key (kept apart to rotate it)",
    )
    base_url: str = "http://127.0.0.1:8000"
    default_timezone: str = "Europe/Paris"
    retention_years: int = Field(
        default=5,
        ge=1,
        le=100,
        description="erase project owners' personal data this many years after their last case closed",
    )
    executor: Literal["inline", "prefect"] = Field(
        default="inline", description="who runs queued work: this process right after a decision, or Prefect"
    )
    channel_allow: str = Field(
        default="",
        description=(
            "comma-separated hosts, host:port or CIDRs that channels may reach although they are loopback, "
            "private, link-local, multicast or unspecified (a local mail catcher, an internal relay)"
        ),
    )
    trusted_proxies: str = Field(
        default="",
        description=(
            "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed; "
            "empty: the client is the connection's peer"
        ),
    )
    max_attachment_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        le=100 * 1024 * 1024,
        description="the largest file attached to a case or a note (bytes); refused while it arrives",
    )
    simulation: bool = Field(
        default=False,
        description="allow writes with --now more than 24 h ahead of the clock (refused in production)",
    )

    @field_validator("channel_allow")
    @classmethod
    def _check_channel_allow(cls, value: str) -> str:
        from pathways.notify.allowlist import parse_allow  # ipaddress only: Apprise is not imported

        parse_allow(value)  # a malformed entry is a settings error naming it, not a surprise at dispatch
        return value

    @model_validator(mode="after")
    def _refuse_simulation_in_production(self) -> Settings:
        if self.environment == "production" and self.simulation:
            raise ValueError(
                "PATHWAYS_SIMULATION=true is refused when PATHWAYS_ENVIRONMENT=production: "
                "simulate on a copy of the database instead"
            )
        return self

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError(
                "PATHWAYS_SECRET_KEY is the development default; set a long random value "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        return self

    @property
    def effective_database_url(self) -> str:
        """The configured database URL, or the embedded SQLite file."""
        return self.database_url or f"sqlite:///{self.home / 'pathways.db'}"

    @property
    def pathways_dir(self) -> Path:
        """Directory of the pathway files."""
        return self.config_dir / "pathways"

    @property
    def templates_dir(self) -> Path:
        """Directory of the message templates, one folder per language."""
        return self.config_dir / "templates"


def load_settings(**overrides: Any) -> Settings:
    """Read settings now (environment, .env), with explicit overrides on top."""
    return Settings(**overrides)
