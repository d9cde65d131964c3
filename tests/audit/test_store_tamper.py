"""Each kind of tampering with a province store is found, named by its code, and fails the audit."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from typer.testing import CliRunner

from adapters.core.provinces import Province
from tests.audit.support import DevExchange, audit_args
from yrdx.cli import app

pytestmark = [pytest.mark.ledger, pytest.mark.rpc]

ZJ = Province.ZJ


@contextmanager
def store_db(ex: DevExchange, p: Province) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(ex.data_dir.store_path(p))
    try:
        yield conn
        conn.commit()
    finally:
        conn.close()


def shared_own_entry(conn: sqlite3.Connection) -> tuple[str, int]:
    """An own list entry that is shared now (so the other stores hold its current version)."""
    row = conn.execute(
        "SELECT record_id, version FROM records WHERE origin = 'own' AND kind = 'list-entry' AND status IN (1, 2, 3) "
        "ORDER BY record_id LIMIT 1"
    ).fetchone()
    assert row is not None
    return str(row[0]), int(row[1])


def audit(ex: DevExchange) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(app, [*audit_args(ex), "--json"], catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout.splitlines()[-1])


def found(report: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [d for d in report["discrepancies"]["items"] if d["code"] == code]


def test_an_edited_record_is_found(exchange_copy: DevExchange) -> None:
    with store_db(exchange_copy, ZJ) as conn:
        rid, version = shared_own_entry(conn)
        (text,) = conn.execute(
            "SELECT record FROM versions WHERE record_id = ? AND version = ?", (rid, version)
        ).fetchone()
        record = json.loads(text)
        record["subject_name"] += "X"
        conn.execute(
            "UPDATE versions SET record = ? WHERE record_id = ? AND version = ?",
            (json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")), rid, version),
        )

    code, report = audit(exchange_copy)

    assert code == 1 and not report["ok"]
    [hit] = found(report, "STORE_RECORD_ALTERED")
    assert (hit["subject"], hit["evidence"]["record"], hit["evidence"]["version"]) == ("zj", rid, version)
    assert hit["evidence"]["anchored_commitment"] != hit["evidence"]["computed_commitment"]
    assert set(report["discrepancies"]["counts"]) == {"STORE_RECORD_ALTERED"}


def test_a_changed_salt_is_found(exchange_copy: DevExchange) -> None:
    with store_db(exchange_copy, ZJ) as conn:
        rid, version = shared_own_entry(conn)
        conn.execute(
            "UPDATE versions SET salt = ? WHERE record_id = ? AND version = ?", ("0x" + "ab" * 16, rid, version)
        )

    code, report = audit(exchange_copy)

    assert code == 1
    [hit] = found(report, "STORE_SALT_ALTERED")
    assert (hit["subject"], hit["evidence"]["record"]) == ("zj", rid)
    assert hit["evidence"]["store"]["salt"] == "0x" + "ab" * 16
    assert set(report["discrepancies"]["counts"]) == {"STORE_SALT_ALTERED"}


def test_a_deleted_record_is_found(exchange_copy: DevExchange) -> None:
    with store_db(exchange_copy, ZJ) as conn:
        rid, _ = shared_own_entry(conn)
        conn.execute("DELETE FROM versions WHERE record_id = ?", (rid,))
        conn.execute("DELETE FROM records WHERE record_id = ?", (rid,))

    code, report = audit(exchange_copy)

    assert code == 1
    [hit] = found(report, "STORE_RECORD_MISSING")
    assert (hit["subject"], hit["evidence"]["record"], hit["evidence"]["origin"]) == ("zj", rid, "own")
    assert hit["evidence"]["ledger"]["owner"] == "zj"
    assert set(report["discrepancies"]["counts"]) == {"STORE_RECORD_MISSING"}


def test_an_inserted_record_is_found(exchange_copy: DevExchange) -> None:
    fake = "0x" + "5a" * 32
    with store_db(exchange_copy, ZJ) as conn:
        rid, _ = shared_own_entry(conn)
        columns = [r[1] for r in conn.execute("PRAGMA table_info(records)")]
        row = dict(
            zip(columns, conn.execute("SELECT * FROM records WHERE record_id = ?", (rid,)).fetchone(), strict=True)
        )
        row.update(record_id=fake, local_id="ZJ-INSERTED-1")
        conn.execute(
            f"INSERT INTO records ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [row[c] for c in columns],
        )
        conn.execute(
            "INSERT INTO versions (record_id, version, commitment, salt, record) "
            "SELECT ?, version, commitment, salt, record FROM versions WHERE record_id = ?",
            (fake, rid),
        )

    code, report = audit(exchange_copy)

    assert code == 1
    [hit] = found(report, "STORE_RECORD_EXTRA")
    assert (hit["subject"], hit["evidence"]["record"], hit["evidence"]["ledger"]) == ("zj", fake, None)
    assert set(report["discrepancies"]["counts"]) == {"STORE_RECORD_EXTRA"}


def test_a_status_changed_off_chain_is_found(exchange_copy: DevExchange) -> None:
    with store_db(exchange_copy, ZJ) as conn:
        rid, _ = shared_own_entry(conn)
        (ledger_status,) = conn.execute("SELECT anchored_status FROM records WHERE record_id = ?", (rid,)).fetchone()
        conn.execute("UPDATE records SET status = 6, anchored_status = 6 WHERE record_id = ?", (rid,))

    code, report = audit(exchange_copy)

    assert code == 1
    [hit] = found(report, "STORE_STATUS_MISMATCH")
    assert (hit["subject"], hit["evidence"]["record"]) == ("zj", rid)
    assert hit["evidence"]["ledger"] == {"status": ledger_status}
    assert hit["evidence"]["store"] == {"status": 6, "anchored_status": 6}
    assert set(report["discrepancies"]["counts"]) == {"STORE_STATUS_MISMATCH"}


def test_a_copy_that_keeps_withdrawn_content_is_found(exchange_copy: DevExchange) -> None:
    with store_db(exchange_copy, Province.SH) as sh_copy:
        row = sh_copy.execute(
            "SELECT r.record_id, v.version FROM records r JOIN versions v ON v.record_id = r.record_id "
            "WHERE r.origin = 'synced' AND r.province = 'zj' AND r.kind = 'list-entry' AND r.status IN (4, 6) "
            "ORDER BY r.record_id LIMIT 1"
        ).fetchone()
        assert row is not None, "the exchange should hold a repaired or revoked entry of zj"
        rid, version = row
    with store_db(exchange_copy, ZJ) as zj:
        content = zj.execute(
            "SELECT salt, record FROM versions WHERE record_id = ? AND version = ?", (rid, version)
        ).fetchone()
    with store_db(exchange_copy, Province.SH) as sh:
        sh.execute(
            "UPDATE versions SET salt = ?, record = ? WHERE record_id = ? AND version = ?", (*content, rid, version)
        )

    code, report = audit(exchange_copy)

    assert code == 1
    [hit] = found(report, "STORE_CONTENT_RETAINED")
    assert (hit["subject"], hit["evidence"]["record"], hit["evidence"]["version"]) == ("sh", rid, version)
