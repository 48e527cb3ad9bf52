"""Settings read from the environment (prefix ``OMBUD_``) or a ``.env`` file."""

from __future__ import annotations

import ipaddress
import os
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from pydantic import Field, FilePath, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ombud import keys

ENV_FILE = "ombud.env"


class Settings(BaseSettings):
    """Every setting Ombud reads; each maps to ``OMBUD_<NAME>``."""

    # The file named by OMBUD_CONFIG replaces these (see get_settings); variables set in the
    # environment win over any file.
    model_config = SettingsConfigDict(
        env_prefix="OMBUD_",
        env_file=(".env", ENV_FILE),
        extra="ignore",
        hide_input_in_errors=True,  # a rejected key is never echoed
    )

    database_url: str = Field(
        default="sqlite:///./ombud.db",
        description="SQLAlchemy URL of Ombud's own store (SQLite file or PostgreSQL).",
    )
    datamap_path: Path | None = Field(
        default=None, description="Data map file or folder used when none has been applied."
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="At least 32 random bytes (hex, base64 or text); every key Ombud uses is "
        "derived from it. No default: the server refuses to start without it.",
    )
    secret_keys_old: SecretStr | None = Field(
        default=None,
        description="Comma-separated previous secret keys, newest first: they still verify "
        "links and seals made with them, and never sign anything new.",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000", description="Public URL used in emails and links."
    )
    data_dir: Path = Field(default=Path("./var"), description="Exports and other files.")

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_tls: bool = Field(default=False, description="STARTTLS after connecting.")
    smtp_ssl: bool = Field(default=False, description="Implicit TLS (SMTPS).")
    smtp_ca_file: FilePath | None = Field(
        default=None,
        description="PEM file of the CA certificates that sign the mail server's certificate "
        "(trusted instead of the system's); read once per process.",
    )
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    mail_sender: str = "privacy@example.com"
    mail_outbox: Path | None = Field(
        default=None,
        description="Write outgoing mail as .eml files into this folder instead of using SMTP "
        "(the demo does this when no SMTP host is set).",
    )

    verification_code_ttl_minutes: int = 30
    verification_max_attempts: int = Field(
        default=5,
        description="Wrong codes an address (or request) may try before its code is locked.",
    )
    verification_lockout_minutes: int = Field(
        default=60,
        description="How long wrong tries still count after the first one: a fresh code "
        "sent within this time does not give new tries.",
    )
    rate_limit_per_ip: int = Field(
        default=20, description="Public actions (forms, codes, resends) per IP per hour."
    )
    rate_limit_per_identity: int = Field(
        default=5, description="Public actions per email address per hour."
    )
    rate_limit_per_target: int = Field(
        default=10, description="Code checks and resends per request per hour."
    )
    rate_limit_banner_per_ip: int = Field(
        default=600,
        description="Cookie banner choices per IP per hour (many visitors may share one "
        "address); counted apart from the public forms' limits.",
    )
    rate_limit_banner_per_device: int = Field(
        default=30, description="Cookie banner choices per device id per hour."
    )
    consent_batch_window_ms: float = Field(
        default=2.0,
        ge=0,
        le=100,
        description="How long a server process waits for more single consent decisions to "
        "commit together with the first one (0: no wait; decisions arriving while a batch "
        "is written still go together into the next).",
    )
    consent_batch_max: int = Field(
        default=500, ge=1, le=10_000, description="Most single decisions in one transaction."
    )
    redis_url: str | None = Field(
        default=None, description="Redis for rate limits shared by several workers."
    )
    redis_prefix: str = Field(
        default="ombud:", description="Prefix of every key Ombud writes in Redis."
    )
    ip_truncation: bool = Field(
        default=True, description="Keep only the network of IPs in consent records (/24, /48)."
    )
    store_ip: bool = Field(default=True, description="False drops IPs from consent records.")
    honour_dnt: bool = Field(default=False, description="Treat DNT: 1 like Sec-GPC: 1.")
    banner_origins: str = Field(
        default="",
        description="Comma-separated origins of the company's websites that embed the cookie "
        "banner (https://www.example.com); the data map organisation's website is always allowed.",
    )
    banner_expiry_days: int = Field(
        default=365, ge=1, description="Days a cookie banner choice lasts before it is asked again."
    )
    link_ttl_hours: int = Field(default=72, description="Lifetime of signed links in emails.")
    unsubscribe_ttl_days: int = Field(
        default=365, description="Lifetime of one-click unsubscribe links (List-Unsubscribe)."
    )
    unsubscribe_mailbox: str | None = Field(
        default=None,
        description="Address whose mail is piped to 'ombud consent unsubscribe-mail'; when set, "
        "List-Unsubscribe also offers mailto:LOCAL+TOKEN@DOMAIN.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses or networks of reverse proxies whose "
        "X-Forwarded-For/-Proto are believed ('*': any); empty: none.",
    )
    embed_origins: str = Field(
        default="",
        description="Origins allowed to show the pages meant for embedding (the privacy "
        "statement) in a frame, space-separated (e.g. 'https://www.example.com'); empty: none. "
        "Every other page refuses to be framed.",
    )
    connections: dict[str, str] = Field(
        default={},
        description="Named target database connections {name: URL}; ${VAR} in a URL is read "
        "from the environment at connect time (JSON in OMBUD_CONNECTIONS).",
    )
    masking_key: SecretStr | None = Field(
        default=None,
        description="Key for HMAC masking on erasure; defaults to one derived from the oldest "
        "listed secret key.",
    )
    execute_in_server: bool = Field(
        default=False,
        description="Run approved requests in a background thread of the server process.",
    )
    execution_interval_seconds: float = Field(
        default=10.0, description="How often the server's background runner looks for work."
    )
    housekeeping_interval_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How often the server sends mail left in the outbox (after a crash or an "
        "SMTP outage) and deletes expired access packages; 0: never (run 'ombud mail send' "
        "and 'ombud requests purge-packages' from cron instead).",
    )
    manual_task_link_days: int = Field(
        default=60, ge=1, description="Lifetime of the links mailed to owners of manual tasks."
    )
    manual_upload_max_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1024, description="Largest file an owner may upload."
    )
    manual_reminder_days: int = Field(
        default=3, ge=0, description="Days before a task's deadline its owner is reminded."
    )
    webhook_endpoints: str = Field(
        default="",
        description="Webhook receivers from settings: comma-separated 'URL SECRET' pairs "
        "(each gets every event); more can be added through the staff API.",
    )
    webhook_max_attempts: int = Field(
        default=8, ge=1, description="Tries of a webhook delivery before it is marked failed."
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, description="Per delivery.")
    opendsr_signing_key: Path | None = Field(
        default=None,
        description="PEM file of the RSA private key that signs OpenDSR status callbacks "
        "(X-OpenDSR-Signature); without it no callbacks are sent.",
    )
    opendsr_certificate_url: str = Field(
        default="",
        description="Where callers fetch the certificate of that key (OpenDSR discovery's "
        "processor_certificate).",
    )
    execution_batch: int = Field(default=100, description="Requests run together in a batch.")
    export_ttl_hours: int = Field(
        default=168, description="Lifetime of access package download links."
    )
    audit_checkpoint_file: Path | None = Field(
        default=None,
        description="File (outside the store: another disk, a log shipper's folder) the server "
        "appends a signed audit checkpoint to at each time of OMBUD_RETENTION_SCHEDULE.",
    )
    retention_schedule: str = Field(
        default="30 3 * * *",
        description="When the server applies the retention rules, in cron syntax (UTC; default "
        "03:30 every night); empty: never (run 'ombud retention run' yourself).",
    )
    # Retention of Ombud's own data (``ombud retention run``, rules ``ombud.*``).
    retention_requests_months: int = Field(
        default=24,
        ge=1,
        description="Months a closed request keeps its identities, letters and notes; then only "
        "type, jurisdiction, status and dates stay (rule ombud.requests).",
    )
    retention_complaints_months: int = Field(
        default=36,
        ge=1,
        description="Months an answered complaint keeps its text, address, answer and notes; "
        "then only subject, jurisdiction and dates stay (rule ombud.complaints).",
    )
    retention_consent_months: int = Field(
        default=36,
        ge=0,
        description="Months a consent record is kept as proof after it stopped being in force "
        "(a later decision replaced it); then it is deleted. The record behind each current "
        "decision always stays; a refusal or withdrawal older than this loses its IP address "
        "and user agent (rule ombud.consent).",
    )
    retention_codes_days: int = Field(
        default=30,
        ge=0,
        description="Days one-time codes, preference-center links and unconfirmed subscriptions "
        "are kept after they expire (rules ombud.verification_codes, ombud.preference_sessions).",
    )
    retention_mail_days: int = Field(
        default=30,
        ge=1,
        description="Days sent or failed mail stays in the outbox table, and .eml files in "
        "OMBUD_MAIL_OUTBOX (rule ombud.mail).",
    )
    broker_url: str | None = Field(
        default=None,
        description="Celery broker (redis://HOST:6379/0 or amqp://USER:PASSWORD@HOST:5672//) "
        "shared by the API processes and 'ombud worker'; unset: the server runs everything "
        "itself (embedded mode).",
    )
    broker_queue: str = Field(
        default="ombud",
        max_length=100,
        description="Name of the broker queue Ombud's messages go through (one per installation "
        "sharing a broker).",
    )
    execution_max_attempts: int = Field(
        default=5,
        ge=1,
        description="Runs of a request (each claim counts) before one whose worker keeps dying "
        "is left failed with the reason instead of being re-queued again.",
    )
    token_cache_seconds: float = Field(
        default=5.0,
        description="How long a server process trusts an API token it has checked (0: check "
        "every request); a revoked token stops working in other processes within this time.",
    )
    console_idle_minutes: int = Field(
        default=30,
        ge=1,
        description="Minutes without a page view after which a staff console session ends.",
    )
    console_session_hours: int = Field(
        default=12,
        ge=1,
        description="Hours after signing in at which a staff console session "
        "ends however active it is.",
    )
    console_lockout_after: int = Field(
        default=5,
        ge=1,
        description="Failed console sign-ins to one account before it is "
        "locked for a while (the lock doubles with each further failure).",
    )
    console_lockout_after_ip: int = Field(
        default=20,
        ge=1,
        description="Failed console sign-ins from one address (any account) "
        "before that address is locked for a while.",
    )
    console_lockout_seconds: int = Field(
        default=60,
        ge=1,
        description="First console lockout; it doubles with each further failure, up to an hour.",
    )

    @field_validator("secret_key", "secret_keys_old")
    @classmethod
    def _check_keys(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        for i, text in enumerate(_split_keys(value.get_secret_value())):
            problem = keys.weakness(text)
            if problem:
                # Never echo the key itself: only where it sits in the list.
                name = f"OMBUD_{str(info.field_name).upper()}"
                where = f"key #{i + 1} of {name}" if "," in value.get_secret_value() else name
                raise ValueError(
                    f"{where} is not a usable secret key: {problem}; it needs at least "
                    f"{keys.MIN_KEY_BYTES} random bytes; {keys.GENERATE_HINT}"
                )
        return value

    def old_secret_keys(self) -> list[str]:
        """The previous secret keys, newest first."""
        if self.secret_keys_old is None:
            return []
        return _split_keys(self.secret_keys_old.get_secret_value())

    @field_validator("unsubscribe_mailbox")
    @classmethod
    def _check_mailbox(cls, value: str | None) -> str | None:
        if not value:
            return None
        local, at, domain = value.strip().rpartition("@")
        # RFC 5321 allows 64 octets before the @: the mailbox, "+" and the 40-character token.
        if not at or not local or "." not in domain or "+" in local or len(local) > 23:
            raise ValueError(
                f"'{value}' must be an address like unsubscribe@example.com whose part before "
                "the @ has at most 23 characters and no '+' (the token is added after a '+')"
            )
        return f"{local}@{domain.lower()}"

    @field_validator("retention_schedule")
    @classmethod
    def _check_schedule(cls, value: str) -> str:
        value = " ".join(value.split())
        if value:
            from cronsim import CronSim, CronSimError

            try:
                CronSim(value, datetime(2026, 1, 1))
            except CronSimError as exc:
                raise ValueError(
                    f"'{value}' is not a cron schedule such as '30 3 * * *' ({exc})"
                ) from None
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: str) -> str:
        items: list[str] = []
        for item in (i.strip() for i in value.split(",") if i.strip()):
            try:
                # Canonical forms: uvicorn silently never matches a network with host bits set.
                net = ipaddress.ip_network(item, strict=False) if item != "*" else None
            except ValueError:
                raise ValueError(
                    f"'{item}' is not an IP address or network (e.g. 10.0.0.0/8) or '*'"
                ) from None
            if net is None:
                items.append("*")
            elif "/" in item:
                items.append(str(net))
            else:
                items.append(str(net.network_address))
        return "*" if "*" in items else ",".join(items)


def _split_keys(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


class ConfigFileError(RuntimeError):
    """OMBUD_CONFIG names a file that cannot be read."""


def config_file() -> Path | None:
    """The settings file named by OMBUD_CONFIG (None: ``.env``/``ombud.env`` in the folder)."""
    name = os.environ.get("OMBUD_CONFIG", "").strip()
    if not name:
        return None
    path = Path(name).expanduser()
    if not path.is_file():
        raise ConfigFileError(f"OMBUD_CONFIG names {path}, which is not a readable file")
    return path


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read once (environment over OMBUD_CONFIG's file)."""
    path = config_file()
    if path is not None:
        return Settings(_env_file=path)
    return Settings()
