"""Record packages of the province's own records, for ``GET /v1/packages/{entry_id}`` and
``POST /v1/packages/query``: what peer provinces' syncers fetch from the owner's gateway.

Only the province's own records are served, only versions already anchored on the ledger, and
only while the record is shared (a repaired, revoked or expired entry and a revoked result are
no longer handed out). Without a version, the anchored version is served.
"""

from __future__ import annotations

from collections.abc import Sequence

from adapters.core.provinces import Province
from adapters.pipeline.packages import Key, load_packages
from adapters.pipeline.sync import is_shared
from adapters.store.rows import StoredRecord
from adapters.store.store import Store
from gateway.errors import NotFound


class PackageDesk:
    """Serves the packages of one province's own, anchored, shared records."""

    def __init__(self, *, store: Store, province: Province) -> None:
        self._store = store
        self._province = province

    def one(self, entry_id: str, version: int | None) -> bytes:
        """The package (RFC 8785 JSON) of ``entry_id`` at ``version`` (default: the anchored one)."""
        rec = self._store.record(entry_id)
        if rec is None or not self._servable(rec):
            raise NotFound(f"{self._province.value} serves no package of {entry_id}")
        wanted = rec.anchored_version if version is None else version
        if not 1 <= wanted <= rec.anchored_version:
            raise NotFound(f"version {wanted} of {entry_id} is not on the ledger (anchored: {rec.anchored_version})")
        pkg = load_packages(self._store, [(entry_id, wanted)]).get((entry_id, wanted))
        if pkg is None:
            raise NotFound(f"{self._province.value} holds no package of version {wanted} of {entry_id}")
        return pkg.to_json()

    def many(self, keys: Sequence[Key]) -> tuple[list[bytes], list[Key]]:
        """The packages of ``keys`` that can be served, and the keys that cannot."""
        records = self._store.records(sorted({k[0] for k in keys}))
        allowed = [
            (rid, v)
            for rid, v in keys
            if (rec := records.get(rid)) is not None and self._servable(rec) and 1 <= v <= rec.anchored_version
        ]
        found = load_packages(self._store, allowed)
        packages = [found[k].to_json() for k in allowed if k in found]
        missing = [k for k in keys if k not in found]
        return packages, missing

    def _servable(self, rec: StoredRecord) -> bool:
        return (
            rec.origin == "own"
            and rec.province == self._province.value
            and rec.anchored_version > 0
            and is_shared(rec.kind, rec.anchored_status)
        )
