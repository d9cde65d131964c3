"""``yrdx adapter sync --ask-refused``: once an owner has mended its store, a province asks again
for the packages it refused, instead of leaving them refused for ever. Runs on a copy of the
audit tests' development exchange (every store synced)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest
from typer.testing import CliRunner

from adapters.core.provinces import Province
from tests.audit.support import DevExchange
from yrdx.cli import app

pytestmark = [pytest.mark.ledger, pytest.mark.rpc]

PEER = Province.SH


def _sync(ex: DevExchange, *extra: str) -> tuple[int, dict[str, Any]]:
    args = ["adapter", "sync", "--province", PEER.value, "--data-dir", str(ex.data_dir.root), "--rpc", ex.url]
    result = CliRunner().invoke(app, [*args, *extra, "--json"], catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout.splitlines()[-1])


def test_refused_packages_are_asked_for_again_only_when_the_operator_says_so(exchange_copy: DevExchange) -> None:
    conn = sqlite3.connect(exchange_copy.data_dir.store_path(PEER))
    try:
        rid, version, content, salt = conn.execute(
            "SELECT v.record_id, v.version, v.record, v.salt FROM records r JOIN versions v"
            " ON v.record_id = r.record_id AND v.version = r.version"
            " WHERE r.origin = 'synced' AND r.kind = 'list-entry' AND r.status IN (1, 2, 3)"
            " ORDER BY r.record_id LIMIT 1"
        ).fetchone()
        # as if this version's package had been refused by an earlier run
        forget = "UPDATE versions SET record = NULL, salt = NULL WHERE record_id = ? AND version = ?"
        conn.execute(forget, (rid, version))
        conn.execute(
            "INSERT INTO refusals (record_id, version, owner, reason, block_number) VALUES (?, ?, 'zj', 'test', 1)",
            (rid, version),
        )
        conn.commit()

        code, summary = _sync(exchange_copy)
        assert code == 0, summary
        assert (summary["stored"], summary["refused"], summary["refusals_cleared"]) == (0, 0, 0)
        held = "SELECT record, salt FROM versions WHERE record_id = ? AND version = ?"
        assert conn.execute(held, (rid, version)).fetchone() == (None, None)

        code, summary = _sync(exchange_copy, "--ask-refused")
        assert code == 0, summary
        assert (summary["stored"], summary["refused"], summary["refusals_cleared"]) == (1, 0, 1)
        assert conn.execute(held, (rid, version)).fetchone() == (content, salt)
        assert conn.execute("SELECT count(*) FROM refusals").fetchone() == (0,)
    finally:
        conn.close()
