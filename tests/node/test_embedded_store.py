"""Opening a data dir: a foreign, corrupt, busy or mismatched one fails with a clear error."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest
import rlp
from eth.vm.forks.cancun.blocks import CancunBlockHeader

from node.embedded import EmbeddedLedger
from node.embedded.schema import DB_NAME
from node.embedded.store import LedgerStore
from node.errors import ConfigError, LedgerStoreError
from tests.node.embedded_support import result

pytestmark = pytest.mark.ledger


def make_chain(data_dir: Path) -> int:
    """A ledger with a few blocks; returns the head number."""
    with EmbeddedLedger(data_dir) as ledger:
        for _ in range(3):
            result(ledger.url, "evm_mine")
        return int(result(ledger.url, "eth_blockNumber"), 16)


def test_a_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / DB_NAME) as other:
        other.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY)")
    other.close()
    with pytest.raises(LedgerStoreError, match="not a yrdx embedded ledger"):
        EmbeddedLedger(tmp_path).start()


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(LedgerStoreError, match="not a usable ledger database"):
        EmbeddedLedger(tmp_path).start()


def test_a_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(LedgerStoreError, match="not a directory"):
        EmbeddedLedger(tmp_path / "file").start()


def test_a_second_ledger_on_the_same_data_dir_is_refused(tmp_path: Path) -> None:
    with EmbeddedLedger(tmp_path):
        with pytest.raises(LedgerStoreError, match="in use by another ledger process"):
            EmbeddedLedger(tmp_path).start()
    with EmbeddedLedger(tmp_path) as again:  # released on stop
        assert result(again.url, "eth_chainId") == "0x539"


def test_genesis_settings_must_match(tmp_path: Path) -> None:
    make_chain(tmp_path)
    with pytest.raises(LedgerStoreError, match="chain_id 1337, not 7: pass --chain-id 1337"):
        EmbeddedLedger(tmp_path, chain_id=7).start()
    with pytest.raises(LedgerStoreError, match="--block-gas-limit 60000000"):
        EmbeddedLedger(tmp_path, block_gas_limit=30_000_000).start()


def test_a_head_pointer_that_disagrees_with_the_blocks_is_corruption(tmp_path: Path) -> None:
    head = make_chain(tmp_path)
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'head'", (str(head + 5),))
    db.close()
    with pytest.raises(LedgerStoreError, match="corrupt: head pointer"):
        EmbeddedLedger(tmp_path).start()


def test_missing_head_state_is_corruption(tmp_path: Path) -> None:
    make_chain(tmp_path)
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        header = db.execute("SELECT header FROM blocks ORDER BY number DESC LIMIT 1").fetchone()[0]
        state_root = rlp.decode(bytes(header), sedes=CancunBlockHeader).state_root
        assert db.execute("DELETE FROM kv WHERE k = ?", (state_root,)).rowcount == 1
    db.close()
    with pytest.raises(LedgerStoreError, match="state of block .* is missing"):
        EmbeddedLedger(tmp_path).start()


def test_a_crash_before_genesis_leaves_a_dir_that_starts_fresh(tmp_path: Path) -> None:
    store = LedgerStore.open(tmp_path)  # schema written, no genesis yet
    assert store.is_new
    store.close()
    with EmbeddedLedger(tmp_path) as ledger:
        assert result(ledger.url, "eth_blockNumber") == "0x0"


def test_settings_are_checked_and_lifecycle_is_guarded(tmp_path: Path) -> None:
    for bad in ({"chain_id": 0}, {"accounts": -1}, {"block_gas_limit": 100}, {"max_logs": 0}):
        with pytest.raises(ConfigError):
            EmbeddedLedger(tmp_path, **bad)  # type: ignore[arg-type]
    ledger = EmbeddedLedger(tmp_path)
    with pytest.raises(ConfigError, match="not started"):
        _ = ledger.url
    ledger.start()
    with pytest.raises(ConfigError, match="already serving"):
        ledger.start()
    ledger.stop()
    ledger.stop()  # idempotent
    with pytest.raises(ConfigError, match="not started"):
        _ = ledger.url


def test_a_port_in_use_is_a_config_error_and_releases_the_data_dir(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ConfigError, match=f"127.0.0.1:{port}: the port is in use"):
            EmbeddedLedger(tmp_path).start(port=port)
    with EmbeddedLedger(tmp_path) as ledger:
        assert result(ledger.url, "eth_chainId") == "0x539"
