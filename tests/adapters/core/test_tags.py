"""Subject tags and the versioned tag keyring."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest

from adapters.core.errors import TagKeyError
from adapters.core.tags import TagKeyring, subject_tag

KEY1 = bytes(range(32))
KEY2 = bytes(range(32, 64))


def test_tag_is_hmac_sha256_of_normalised_id() -> None:
    expected = hmac.new(KEY1, b"91110000600037341L", hashlib.sha256).digest()
    assert subject_tag(KEY1, " 91110000600037341l ") == expected


def test_keyring_versions_and_current() -> None:
    ring = TagKeyring({1: KEY1, 2: KEY2})
    assert ring.current_version == 2
    assert ring.versions == (1, 2)
    assert ring.tag("x") == subject_tag(KEY2, "x")
    assert ring.tag("x", 1) == subject_tag(KEY1, "x")
    assert TagKeyring({1: KEY1, 2: KEY2}, current=1).tag("x") == subject_tag(KEY1, "x")


@pytest.mark.parametrize(
    ("keys", "current", "message"),
    [
        ({}, None, "at least one key"),
        ({1: b"short"}, None, "need 32"),
        ({0: KEY1}, None, "positive uint32"),
        ({1: KEY1}, 2, "current version 2 has no key"),
    ],
)
def test_keyring_refuses_bad_keys(keys: dict[int, bytes], current: int | None, message: str) -> None:
    with pytest.raises(TagKeyError, match=message):
        TagKeyring(keys, current=current)


def test_unknown_version() -> None:
    with pytest.raises(TagKeyError, match="version 7"):
        TagKeyring({1: KEY1}).tag("x", 7)


def test_file_round_trip_and_errors(tmp_path: Path) -> None:
    ring = TagKeyring({1: KEY1, 3: KEY2}, current=1)
    path = tmp_path / "keys.json"
    path.write_bytes(ring.to_json())
    loaded = TagKeyring.from_file(path)
    assert loaded.versions == (1, 3)
    assert loaded.current_version == 1
    assert loaded.key(3) == KEY2
    for content, message in [
        (b"{", "cannot read"),
        (b'{"keys": {"x": "00"}}', "integers"),
        (b'{"keys": [], "current": 1}', "expected"),
        (b'{"keys": {"1": "' + KEY1.hex().encode() + b'"}, "current": "1"}', "integer"),
    ]:
        path.write_bytes(content)
        with pytest.raises(TagKeyError, match=message):
            TagKeyring.from_file(path)
    with pytest.raises(TagKeyError, match="cannot read"):
        TagKeyring.from_file(tmp_path / "missing.json")


def test_development_keyring_is_deterministic_and_named() -> None:
    assert TagKeyring.development(2).key(2) == TagKeyring.development(2).key(2)
    assert TagKeyring.development().key(1) != TagKeyring.development(2).key(2)
    assert KEY1.hex() not in repr(TagKeyring({1: KEY1}))
