"""Subject tags: HMAC-SHA256 of a normalised subject id under a versioned consortium key.

``subject_tag = HMAC-SHA256(key_v, subject_id.strip().upper() as UTF-8)``. The key version in
force is the Consortium contract's ``tagKeyVersion``; a ``TagKeyring`` holds every version a
member still needs, so that tags published under an older key can still be matched.

Keyring file (JSON)::

    {"current": 2, "keys": {"1": "<hex, at least 32 bytes>", "2": "<hex>"}}
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from pathlib import Path

import orjson

from adapters.core.errors import TagKeyError

MIN_KEY_BYTES = 32
_DEVELOPMENT_SEED = b"yrdx development subject-tag key, never use in production, version "


def normalise_subject_id(subject_id: str) -> str:
    """The form a subject id is tagged in: stripped, upper-case."""
    return subject_id.strip().upper()


def subject_tag(key: bytes, subject_id: str) -> bytes:
    """``HMAC-SHA256(key, normalised subject id)`` (RFC 2104)."""
    return hmac.digest(key, normalise_subject_id(subject_id).encode("utf-8"), "sha256")


class TagKeyring:
    """Subject-tag keys by version (versions are positive ``uint32``)."""

    __slots__ = ("_current", "_keys")

    def __init__(self, keys: Mapping[int, bytes], *, current: int | None = None) -> None:
        if not keys:
            raise TagKeyError("a keyring needs at least one key")
        for version, key in keys.items():
            if not 1 <= version < 2**32:
                raise TagKeyError(f"key version {version} is not a positive uint32")
            if len(key) < MIN_KEY_BYTES:
                raise TagKeyError(f"key version {version} has {len(key)} bytes, need {MIN_KEY_BYTES}")
        self._keys = {int(v): bytes(k) for v, k in keys.items()}
        self._current = max(self._keys) if current is None else current
        if self._current not in self._keys:
            raise TagKeyError(f"current version {self._current} has no key")

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> TagKeyring:
        """Load a keyring file (see the module docstring)."""
        try:
            doc = orjson.loads(Path(path).read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise TagKeyError(f"{os.fspath(path)}: cannot read keyring: {exc}") from None
        if not isinstance(doc, dict) or set(doc) - {"current", "keys"} or not isinstance(doc.get("keys"), dict):
            raise TagKeyError(f"{os.fspath(path)}: expected {{'current': n, 'keys': {{...}}}}")
        try:
            keys = {int(v): bytes.fromhex(k) for v, k in doc["keys"].items()}
        except (ValueError, TypeError):
            raise TagKeyError(f"{os.fspath(path)}: key versions must be integers, keys hex") from None
        current = doc.get("current")
        if current is not None and type(current) is not int:
            raise TagKeyError(f"{os.fspath(path)}: current must be an integer")
        return cls(keys, current=current)

    @classmethod
    def development(cls, versions: int = 1) -> TagKeyring:
        """DEVELOPMENT AND TESTS ONLY: publicly known keys derived from a fixed seed."""
        return cls({v: hashlib.sha256(_DEVELOPMENT_SEED + str(v).encode()).digest() for v in range(1, versions + 1)})

    @property
    def current_version(self) -> int:
        return self._current

    @property
    def versions(self) -> tuple[int, ...]:
        return tuple(sorted(self._keys))

    def key(self, version: int) -> bytes:
        try:
            return self._keys[version]
        except KeyError:
            raise TagKeyError(f"no subject-tag key of version {version}") from None

    def tag(self, subject_id: str, version: int | None = None) -> bytes:
        """Subject tag under key ``version`` (default: the current one)."""
        return subject_tag(self.key(self._current if version is None else version), subject_id)

    def to_json(self) -> bytes:
        """The keyring file content."""
        keys = {str(v): k.hex() for v, k in sorted(self._keys.items())}
        return orjson.dumps({"current": self._current, "keys": keys})

    def __repr__(self) -> str:
        return f"TagKeyring(versions={list(self.versions)}, current={self._current})"
