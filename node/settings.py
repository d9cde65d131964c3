"""Settings of the ledger layer, read by the composition root (``yrdx``) from the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class LedgerSettings(BaseSettings):
    """How a component reaches the ledger and signs for its province.

    Environment: ``YRDX_LEDGER_RPC_URL``, ``YRDX_LEDGER_CONFIRMATIONS``,
    ``YRDX_LEDGER_KEYSTORE``, ``YRDX_LEDGER_PASSWORD_FILE`` or ``YRDX_LEDGER_PASSWORD``,
    ``YRDX_LEDGER_MANIFEST``.
    """

    model_config = SettingsConfigDict(env_prefix="YRDX_LEDGER_", env_nested_delimiter="__", extra="ignore")

    rpc_url: str = "http://127.0.0.1:8545"
    confirmations: int = 0
    keystore: Path | None = None
    password_file: Path | None = None
    password: SecretStr | None = None
    manifest: Path = Path("deployment.json")
    log_chunk_blocks: int = 2_000
    log_parallel: int = 4

    def keystore_password(self) -> bytes | None:
        """The keystore password from the file, else from the environment, else None."""
        if self.password_file is not None:
            lines = self.password_file.read_text(encoding="utf-8").splitlines()
            return lines[0].encode("utf-8") if lines else b""
        if self.password is not None:
            return self.password.get_secret_value().encode("utf-8")
        return None
