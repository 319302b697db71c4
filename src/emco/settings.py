"""All settings, read from `EMCO_`-prefixed environment variables.

Each field is documented in `docs/settings.md`; a test keeps the two in step.
"""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EMCO_", frozen=True)

    database_url: str = Field(
        default="sqlite:///var/emco.sqlite3",
        description="SQLAlchemy URL of the store. SQLite (WAL mode) by default; "
        "`postgresql+psycopg://user@host/db` in production.",
    )
    data_dir: Path = Field(
        default=Path("var"),
        description="Folder for local files: the SQLite database and quarantine files.",
    )
    agencies_file: Path | None = Field(
        default=None,
        description="YAML file of the participating services; the packaged list of the "
        "twelve services when unset.",
    )
    default_region: str = Field(
        default="FR",
        description="Region used to read phone numbers written without a country code.",
    )
    retention_years: int = Field(
        default=20,
        ge=1,
        le=100,
        description="Default retention of a record, in years from its observation (or "
        "ingestion) date, when the record gives none.",
    )
    ingest_chunk_size: int = Field(
        default=20_000,
        ge=1,
        le=100_000,
        description="Records written per transaction during ingestion.",
    )
    ingest_workers: int = Field(
        default=0,
        ge=0,
        le=64,
        description="Processes that validate and normalise records during ingestion; "
        "0 picks one per CPU beyond the first.",
    )
    host: str = Field(default="127.0.0.1", description="Address the web server listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port of the web server.")
    session_idle_minutes: int = Field(
        default=30, ge=1, description="A web session ends after this many idle minutes."
    )
    session_max_hours: int = Field(
        default=12, ge=1, description="A web session ends this many hours after login."
    )
    secure_cookies: bool = Field(
        default=False,
        description="Send cookies only over HTTPS; set when served behind TLS.",
    )
    default_locale: str = Field(
        default="fr", description="Language of the interface unless a user asks for another."
    )

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
