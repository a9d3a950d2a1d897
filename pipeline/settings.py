"""Configuration, read once from SOHOA_* environment variables and passed down as values.

Stages never read the environment themselves; the CLI (or a worker) calls `load_settings()` once.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    # env_ignore_empty: `SOHOA_X=` (docker compose's `${SOHOA_X:-}`) means "not set"
    model_config = SettingsConfigDict(env_prefix="SOHOA_", frozen=True, extra="ignore", env_ignore_empty=True)

    home: Path = Field(default=Path(".sohoa"), description="Holds the embedded index and objects")
    storage_url: str | None = Field(
        default=None, description="file:///path (default: $SOHOA_HOME/objects)"
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL (default: sqlite:///$SOHOA_HOME/index.sqlite3)"
    )
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None
    retention_days: int | None = Field(
        default=None, ge=1, description="Object-lock retention of immutable objects (days)"
    )
    lock_mode: str = Field(default="GOVERNANCE", pattern="^(GOVERNANCE|COMPLIANCE)$")
    classifier_path: Path | None = Field(
        default=None, description="Trained type classifier (default: $SOHOA_HOME/models/)"
    )
    type_min_confidence: float | None = Field(default=None, ge=0, le=1)
    ocr_languages: str = "vie"
    ocr_timeout_seconds: float = 180.0
    ocr_engine: str = Field(
        default="auto", pattern="^(auto|library|program)$",
        description="Tesseract in process (library: tesserocr) or one program run per page; auto: the library when installed",
    )
    image_dpi: int = Field(default=200, ge=100, le=600, description="Resolution of stored pages")
    max_image_pixels: int = Field(default=200_000_000, description="Larger images are refused")
    max_input_bytes: int = Field(
        default=500_000_000, ge=1, description="Larger files are refused unread (too_large)"
    )
    max_pages: int = Field(
        default=1000, ge=1, description="Documents with more pages are refused when opened (too_many_pages)"
    )
    orientation_min_confidence: float | None = None
    separation: bool = Field(
        default=True, description="Split multi-page scans and page files into documents (issue 13)"
    )
    single_sided_duplex: bool = Field(
        default=False, description="Inputs are fronts then backs in reverse (a single-sided feeder's duplex)"
    )
    drop_blank_pages: bool = Field(
        default=True, description="Leave blank back sides out of stored documents (the original keeps them)"
    )
    jobs: int = Field(default=0, ge=0, description="Page processes; 0 = one per core")

    # --- signing (pipeline/stages/sign.py) ---
    sign_key: str | None = Field(
        default=None, description="Signing key: a PKCS#12 file path, or a pkcs11: URI"
    )
    key_passphrase: SecretStr | None = Field(
        default=None, description="PKCS#12 passphrase or token PIN (SOHOA_KEY_PASSPHRASE)"
    )
    sign_level: str = Field(default="B-B", pattern="^B-(B|T|LT|LTA)$")
    tsa_url: str | None = Field(default=None, description="RFC 3161 timestamp authority URL")
    trust_roots: Path | None = Field(default=None, description="PEM file of trusted root certificates")
    signature_fetching: bool = Field(
        default=False, description="Fetch OCSP/CRL/certificates over the network when validating"
    )
    signing_session_minutes: int = Field(
        default=15, ge=1, le=1440, description="How long a prepared external signature may be completed")
    token_bridge_url: str = Field(
        default="http://127.0.0.1:8765", pattern=r"^http://(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}$",
        description="The signing bridge on the official's PC the console's token signing calls")

    # --- reuse API (pipeline/service/api.py) ---
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    presign_seconds: int = Field(default=300, ge=1, le=604800)
    rate_limit_per_minute: int = Field(default=600, ge=1, description="Requests per API key")
    agency_code: str = Field(
        default="000.00.00.H00", description="Agency code that starts dossier codes: <agency>-<yymmdd>-<n>"
    )

    # --- console (pipeline/service/console/) ---
    console_secret: SecretStr | None = Field(
        default=None, description="Key that signs console session cookies (default: made once into "
        "$SOHOA_HOME/console.secret; set it when several machines serve the console)")
    console_idle_minutes: int = Field(default=30, ge=1, le=1440, description="A session idle this long ends")
    console_max_failures: int = Field(default=5, ge=1, description="Failed logins in a row that lock an account")
    console_lockout_minutes: int = Field(default=15, ge=1, description="How long a locked account stays locked")
    console_secure_cookie: bool = Field(
        default=False, description="Send the session cookie over HTTPS only (set behind TLS)")
    console_oidc_issuer: str | None = Field(
        default=None, description="OpenID Connect issuer URL of the office's directory; set, the login page "
        "offers to log in through it (the person's sohoa account, made by an admin, gives the role)")
    console_oidc_client_id: str | None = Field(default=None, description="The console's client id at the directory")
    console_oidc_client_secret: SecretStr | None = Field(default=None, description="The console's client secret")
    console_oidc_username_claim: str = Field(
        default="preferred_username", description="The ID token claim that holds the sohoa user name")

    # --- workers (workers/) ---
    broker_url: str | None = Field(default=None, description="redis://… or amqp://…")

    @cached_property
    def resolved_home(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def objects_url(self) -> str:
        return self.storage_url or (self.resolved_home / "objects").as_uri()

    @property
    def index_url(self) -> str:
        return self.database_url or f"sqlite:///{self.resolved_home / 'index.sqlite3'}"

    @property
    def classifier_model_path(self) -> Path:
        return self.classifier_path or self.resolved_home / "models" / "type-classifier.pkl"

    @property
    def field_tagger_path(self) -> Path:
        """The learned field reader, written by `sohoa model retrain` (absent until then)."""
        return self.resolved_home / "models" / "field-tagger.pkl"

    @property
    def quarantine_dir(self) -> Path:
        return self.resolved_home / "quarantine"

    def effective_jobs(self, requested: int | None = None) -> int:
        jobs = requested if requested else self.jobs
        return jobs if jobs > 0 else max(1, os.cpu_count() or 1)


def load_settings(**overrides) -> Settings:
    return Settings(**overrides)
