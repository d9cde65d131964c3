"""Settings of one gateway, read by the composition root (``yrdx``) from the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.core.provinces import Province

PORTS = {Province.SH: 8101, Province.JS: 8102, Province.ZJ: 8103, Province.AH: 8104}


class AuditSettings(BaseModel):
    """The audit trail: group commit and anchoring of checkpoints."""

    checkpoint_every_events: int = Field(1_000, ge=1)
    checkpoint_every_seconds: float = Field(60.0, gt=0)
    stream_name: str = Field("yrdx.gateway.audit", min_length=1, max_length=32)
    max_batch: int = Field(512, ge=1, le=10_000)
    gather_ms: float = Field(0.0, ge=0, le=50)  # how long a commit waits for company


class IndexSettings(BaseModel):
    """The ledger index the gateway keeps."""

    poll_seconds: float = Field(1.0, gt=0)
    cache_records: int = Field(100_000, ge=0)


class LimitSettings(BaseModel):
    """Request limits: body size, page size, and the per-client rate (token bucket)."""

    max_body_bytes: int = Field(256 * 1024, ge=1024)
    max_page: int = Field(500, ge=1, le=10_000)
    rate_per_second: float = Field(50.0, gt=0)
    rate_burst: int = Field(100, ge=1)


class GatewaySettings(BaseSettings):
    """One province's gateway.

    Environment (prefix ``YRDX_GATEWAY_``, nested with ``__``): ``PROVINCE``, ``HOST``, ``PORT``,
    ``GATEWAY_ID``, ``PUBLIC_URL``, ``DATABASE_URL``, ``CA_CERT``, ``CRL``, ``TOKEN_KEY``,
    ``TOKEN_KEY_PASSWORD_FILE`` or ``TOKEN_KEY_PASSWORD``, ``TOKEN_LIFETIME_SECONDS``,
    ``REVOCATION_RECHECK_SECONDS`` (how soon a revocation cuts off live tokens),
    ``AUDIT__CHECKPOINT_EVERY_EVENTS``, ``AUDIT__CHECKPOINT_EVERY_SECONDS``, ``AUDIT__STREAM_NAME``,
    ``AUDIT__MAX_BATCH``, ``AUDIT__GATHER_MS``, ``INDEX__POLL_SECONDS``, ``INDEX__CACHE_RECORDS``,
    ``LIMITS__MAX_BODY_BYTES``, ``LIMITS__MAX_PAGE``, ``LIMITS__RATE_PER_SECOND``,
    ``LIMITS__RATE_BURST``. The ledger endpoint and the province's signing key are the ledger
    layer's settings (``YRDX_LEDGER_*``).
    """

    model_config = SettingsConfigDict(env_prefix="YRDX_GATEWAY_", env_nested_delimiter="__", extra="ignore")

    province: Province
    host: str = "127.0.0.1"
    port: int | None = Field(None, ge=1, le=65535)
    gateway_id: str | None = Field(None, min_length=3, max_length=64)
    public_url: str | None = None
    database_url: str | None = None
    ca_cert: Path | None = None
    crl: Path | None = None
    token_key: Path | None = None
    token_key_password_file: Path | None = None
    token_key_password: SecretStr | None = None
    token_lifetime_seconds: int = Field(600, ge=1, le=900)
    revocation_recheck_seconds: float = Field(1.0, ge=0, le=60)
    audit: AuditSettings = AuditSettings()
    index: IndexSettings = IndexSettings()
    limits: LimitSettings = LimitSettings()

    @property
    def identity(self) -> str:
        """The gateway's id: the ``aud`` of client assertions, ``iss`` and ``aud`` of its tokens."""
        return self.gateway_id or f"gateway-{self.province.value}"

    @property
    def listen_port(self) -> int:
        return self.port or PORTS[self.province]

    def audiences(self) -> list[str]:
        """Audiences a client assertion may name besides the gateway id: the token endpoint's
        public URL (RFC 7523 section 3 allows it)."""
        return [self.public_url.rstrip("/") + "/oauth/token"] if self.public_url else []

    def token_key_passphrase(self) -> bytes | None:
        """The token signing key's password from the file, else the environment, else None."""
        if self.token_key_password_file is not None:
            lines = self.token_key_password_file.read_text(encoding="utf-8").splitlines()
            return lines[0].encode("utf-8") if lines else b""
        if self.token_key_password is not None:
            return self.token_key_password.get_secret_value().encode("utf-8")
        return None
