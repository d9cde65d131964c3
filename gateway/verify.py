"""Verification of record packages for ``POST /v1/verify``, answered from the ledger index.

The verdict is ``adapters.chain.verify.verify_package`` itself, fed by the gateway's
``LedgerIndex`` instead of JSON-RPC calls: the package's own recomputation (``check_package``:
entry id, commitment, subject tag) against the index's state and history. The answer adds the
publication (block, time, transaction) and how far the index has read (``as_of_block``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from adapters.chain.verify import iso_seconds, verify_package
from adapters.core.package import RecordPackage
from adapters.core.tags import TagKeyring
from gateway.errors import ServiceUnavailable
from gateway.index.store import IndexCursor, LedgerIndex


class Verifier:
    """Verdicts on record packages from the ledger index."""

    def __init__(self, *, index: LedgerIndex, keyring: TagKeyring, clock: Callable[[], dt.datetime]) -> None:
        self._index = index
        self._keyring = keyring
        self._clock = clock

    @staticmethod
    def record_key(pkg: RecordPackage) -> str:
        """The index key of the record ``pkg`` names. Should the record give another id, the
        verdict is "not authentic" before the index is consulted."""
        return "0x" + pkg.entry_id.hex()

    def is_warm(self, pkg: RecordPackage) -> bool:
        """Whether the verdict can be given from memory (no database read)."""
        return self._index.cached(self.record_key(pkg))

    def warm(self, pkg: RecordPackage) -> None:
        """Read the record ``pkg`` is about into the index cache."""
        self._index.record(self.record_key(pkg))

    def verify(self, pkg: RecordPackage) -> dict[str, Any]:
        """The verdict on ``pkg`` as the JSON answer of ``POST /v1/verify``."""
        view = self._index.view()
        if view.as_of is None:
            raise ServiceUnavailable("the gateway has not indexed the ledger yet; try again shortly")
        now = int(self._clock().timestamp())
        verdict = verify_package(pkg, view.as_ledger_view(), keyring=self._keyring, now=now)
        answer = verdict.to_json()
        answer["published"] = answer["history"][0] if answer["history"] else None
        answer.update(_as_of(view.as_of, self._index.head))
        return answer


def _as_of(cursor: IndexCursor, head: int | None) -> dict[str, Any]:
    return {
        "as_of_block": cursor.block,
        "as_of_time": iso_seconds(cursor.time),
        "blocks_behind": max(0, (head or cursor.block) - cursor.block),
    }


def as_of(index: LedgerIndex) -> dict[str, Any]:
    """``as_of_block``, ``as_of_time`` and ``blocks_behind`` of the index now."""
    cursor = index.cursor
    if cursor is None:
        raise ServiceUnavailable("the gateway has not indexed the ledger yet; try again shortly")
    return _as_of(cursor, index.head)
