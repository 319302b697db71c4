"""All settings, read from `EMCO_`-prefixed environment variables.

Each field is documented in `docs/settings.md`; a test keeps the two in step.
"""

import base64
import binascii
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import phonenumbers
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from emco.i18n import LOCALES


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EMCO_", frozen=True)

    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of the store. SQLite (WAL mode) in the data folder "
        "(`EMCO_DATA_DIR/emco.sqlite3`) when unset; `postgresql+psycopg://user@host/db` "
        "in production.",
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
    retention_review_agencies: str = Field(
        default="DGSI,DGSE,DNRED,TRACFIN,SCRT,SNRP",
        description="Services (codes, comma-separated) whose records past their "
        "retention date are put up for review by the service instead of being purged: "
        "the intelligence services, whose files the law has reviewed (docs/retention.md).",
    )
    audit_retention_years: int = Field(
        default=3, ge=1, le=100,
        description="Audit rows older than this many years are purged by `emco retention "
        "run`; the chain then verifies from the last row purged.",
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
        description="Processes that validate and normalise records during ingestion, "
        "and compute the records' features in a full resolution; 0 picks one per CPU "
        "beyond the first.",
    )
    resolve_match_threshold: float = Field(
        default=0.5, gt=0, lt=1,
        description="A pair of records the model scores at least this (a match "
        "probability) is merged.",
    )
    resolve_review_threshold: float = Field(
        default=0.2, gt=0, lt=1,
        description="A pair scored between this and the match threshold goes to the "
        "review queue for an operator to decide.",
    )
    resolve_names_alone_to_review: Literal["auto", "true", "false"] = Field(
        default="auto",
        description="Send a pair alike by its names alone (no birth date to compare, "
        "nothing else in common) to the review queue instead of merging it, however "
        "high its score: true, false, or auto (when the file's own dated records show "
        "that two records of one full name are more often two people than one; see "
        "docs/resolution.md).",
    )
    deconflict_place_margin_m: int = Field(
        default=200, ge=0, le=10_000,
        description="Two services' operations whose areas come closer than this many "
        "metres at overlapping times are in conflict.",
    )
    deconflict_time_margin_minutes: int = Field(
        default=60, ge=0, le=24 * 60,
        description="Two services' operations whose windows come closer than this many "
        "minutes are taken to overlap in time.",
    )
    host: str = Field(default="127.0.0.1", description="Address the web server listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port of the web server.")
    session_idle_minutes: int = Field(
        default=30, ge=1, description="A web session ends after this many idle minutes."
    )
    session_max_hours: int = Field(
        default=12, ge=1, description="A web session ends this many hours after login."
    )
    login_max_failures: int = Field(
        default=5, ge=1, le=100,
        description="Failed logins (wrong password or second-factor code) after which an "
        "account is locked.",
    )
    login_lockout_minutes: int = Field(
        default=10, ge=1, le=1440, description="How long a locked account refuses logins."
    )
    login_rate: str = Field(
        default="20/minute",
        description="Login attempts allowed from one client address (a `limits` rate such "
        "as `20/minute`); beyond it the server answers 429.",
    )
    hit_rate: str = Field(
        default="60/minute",
        description="Hit/no-hit queries allowed to one user (a `limits` rate); beyond it "
        "the server answers 429 and the refusal is audited.",
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where the rate counters live (a `limits` storage URI): the default "
        "holds them in the server process; give `redis://host:6379` when several server "
        "processes share the load.",
    )
    max_request_bytes: int = Field(
        default=2_000_000, ge=1024,
        description="Largest request body accepted, in bytes; a bigger one gets 413.",
    )
    secure_cookies: bool = Field(
        default=False,
        description="Send cookies only over HTTPS; set when served behind TLS.",
    )
    secret_key: SecretStr = Field(
        default=SecretStr(""),
        description="The server key (a Fernet key: 32 bytes in URL-safe base64) that seals "
        "the second factor's shared secrets in the database; a key file made once in the "
        "data folder (`secret.key`) when unset.",
    )
    secret_key_old: SecretStr = Field(
        default=SecretStr(""),
        description="Earlier server keys, comma-separated, that still open what they "
        "sealed (key rotation).",
    )
    default_locale: str = Field(
        default="fr", description="Language of the interface unless a user asks for another."
    )
    oidc_issuer: str = Field(
        default="",
        description="Issuer URL of an OpenID Connect identity provider (its discovery "
        "document is at `/.well-known/openid-configuration` under it). With "
        "`oidc_client_id`, turns the provider's login on.",
    )
    oidc_client_id: str = Field(
        default="", description="The client id EMCO is registered under at the provider."
    )
    oidc_client_secret: SecretStr = Field(
        default=SecretStr(""),
        description="The client secret EMCO shows the provider's token endpoint.",
    )
    oidc_scopes: str = Field(
        default="openid profile email",
        description="Scopes asked of the provider, space-separated; `openid` is required.",
    )
    oidc_username_claim: str = Field(
        default="preferred_username",
        description="The ID token claim naming the user, only to tell a user whose "
        "account is not linked yet which account an administrator should link.",
    )
    oidc_trust_idp_mfa: bool = Field(
        default=False,
        description="Skip EMCO's own second factor when the ID token's `amr` says the "
        "provider checked a second factor (`mfa`, `otp` or `hwk`).",
    )
    oidc_label: str = Field(
        default="OpenID Connect",
        description="Name of the provider on the login page's button (\"Sign in with ...\").",
    )
    oidc_redirect_url: str = Field(
        default="",
        description="Address of `/login/oidc/callback` as registered at the provider; "
        "taken from the request when unset (set it behind a reverse proxy).",
    )
    alert_deadline_critical_hours: int = Field(
        default=2, ge=1, le=8760,
        description="Hours a recipient has to acknowledge a critical alert before the "
        "staff's operators are told.",
    )
    alert_deadline_high_hours: int = Field(
        default=24, ge=1, le=8760, description="The same, for a high-severity alert."
    )
    alert_deadline_medium_hours: int = Field(
        default=72, ge=1, le=8760, description="The same, for a medium-severity alert."
    )
    alert_deadline_low_hours: int = Field(
        default=168, ge=1, le=8760, description="The same, for a low-severity alert."
    )
    alert_worker_seconds: int = Field(
        default=30, ge=0, le=86400,
        description="The web server sends due webhook deliveries and escalates overdue "
        "alerts every this many seconds; 0 turns the worker off.",
    )
    webhook_timeout_seconds: float = Field(
        default=5.0, gt=0, le=60,
        description="How long one webhook delivery waits for the service's endpoint.",
    )

    @model_validator(mode="after")
    def _database_in_data_dir(self) -> "Settings":
        if not self.database_url:  # frozen: set once, here
            object.__setattr__(self, "database_url",
                               f"sqlite:///{self.data_dir / 'emco.sqlite3'}")
        return self

    @model_validator(mode="after")
    def _thresholds_in_order(self) -> "Settings":
        if self.resolve_review_threshold > self.resolve_match_threshold:
            raise ValueError("EMCO_RESOLVE_REVIEW_THRESHOLD must not exceed "
                             "EMCO_RESOLVE_MATCH_THRESHOLD")
        return self

    @model_validator(mode="after")
    def _deadlines_in_order(self) -> "Settings":
        hours = [self.alert_deadline_critical_hours, self.alert_deadline_high_hours,
                 self.alert_deadline_medium_hours, self.alert_deadline_low_hours]
        if hours != sorted(hours):
            raise ValueError("an alert's deadline must not shorten as its severity falls: "
                             "EMCO_ALERT_DEADLINE_CRITICAL_HOURS, then _HIGH_HOURS, "
                             "_MEDIUM_HOURS and _LOW_HOURS, each at least the one before")
        return self

    @model_validator(mode="after")
    def _oidc_usable(self) -> "Settings":
        if not self.oidc_enabled:
            return self
        if not _secure_or_local(self.oidc_issuer):
            raise ValueError("EMCO_OIDC_ISSUER must be an https:// URL (http:// only on "
                             "this machine, for tests)")
        if "openid" not in self.oidc_scopes.split():
            raise ValueError("EMCO_OIDC_SCOPES must include openid")
        if self.oidc_redirect_url and not _secure_or_local(self.oidc_redirect_url):
            raise ValueError("EMCO_OIDC_REDIRECT_URL must be an https:// URL")
        return self

    @field_validator("default_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        region = value.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value!r} is not a region phone numbers know (FR, BE, ...)")
        return region

    @field_validator("secret_key", "secret_key_old")
    @classmethod
    def _server_keys(cls, value: SecretStr) -> SecretStr:
        for key in value.get_secret_value().split(","):
            try:
                raw = base64.urlsafe_b64decode(key.strip().encode("ascii"))
            except (ValueError, binascii.Error):  # not ASCII, or not base64
                raw = b""
            if key.strip() and len(raw) != 32:
                raise ValueError("a server key is 32 bytes in URL-safe base64 (44 "
                                 "characters): make one with `python -m emco.access.serverkey`")
        return value

    @field_validator("resolve_names_alone_to_review", mode="before")
    @classmethod
    def _lower_choice(cls, value: object) -> object:
        if isinstance(value, bool):  # as the earlier true/false setting was given in code
            return str(value).lower()
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in LOCALES:
            raise ValueError(f"{value!r} is not one of {', '.join(LOCALES)}")
        return value

    @property
    def workers(self) -> int:
        """`ingest_workers`, with 0 made one per CPU beyond the first."""
        return self.ingest_workers or max(0, (os.cpu_count() or 1) - 1)

    @property
    def review_agencies(self) -> frozenset[str]:
        """`retention_review_agencies` as a set of codes."""
        return frozenset(c.strip().upper() for c in self.retention_review_agencies.split(",")
                         if c.strip())

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def oidc_enabled(self) -> bool:
        """Whether the OpenID Connect login is on: an issuer and a client id are set."""
        return bool(self.oidc_issuer and self.oidc_client_id)


def _secure_or_local(url: str) -> bool:
    """An https URL, or an http one on the loopback interface (a provider in the tests)."""
    parts = urlsplit(url)
    return bool(parts.hostname) and (parts.scheme == "https" or (
        parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
