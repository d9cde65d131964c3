"""Province signing keys: eth-account (Web3 Secret Storage) keystores and their passwords.

Passwords come from a file or an environment variable, read by the caller and passed in as
bytes; nothing here takes a secret from the command line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from node.errors import ConfigError


def load_keystore(path: Path, password: bytes) -> LocalAccount:
    """Decrypt the keystore at ``path``."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"keystore {path} not found") from exc
    except ValueError as exc:
        raise ConfigError(f"keystore {path} is not JSON: {exc}") from exc
    try:
        key = Account.decrypt(doc, password.decode("utf-8"))
    except ValueError as exc:
        raise ConfigError(f"cannot decrypt keystore {path}: wrong password or damaged file") from exc
    account: LocalAccount = Account.from_key(key)
    return account


def write_keystore(account: LocalAccount, path: Path, password: bytes, *, iterations: int | None = None) -> None:
    """Encrypt ``account`` into a keystore file readable only by its owner.

    ``iterations`` lowers the KDF cost for development keystores; production keeps the default.
    """
    kwargs = {"iterations": iterations} if iterations else {}
    doc = Account.encrypt(account.key, password.decode("utf-8"), kdf="pbkdf2", **kwargs)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(doc, f)


def read_password(*, file: Path | None, env_var: str | None, environ: dict[str, str] | os._Environ[str]) -> bytes:
    """A password from ``file`` (first line) or from the environment variable ``env_var``."""
    if file is not None:
        try:
            return file.read_text(encoding="utf-8").splitlines()[0].encode("utf-8") if file.stat().st_size else b""
        except FileNotFoundError as exc:
            raise ConfigError(f"password file {file} not found") from exc
    if env_var and env_var in environ:
        return environ[env_var].encode("utf-8")
    raise ConfigError(f"no password: give a password file or set {env_var}" if env_var else "no password given")
