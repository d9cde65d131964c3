"""Record packages from a store, and where a province gets other provinces' packages from."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Protocol

import orjson

from adapters.core.errors import PackageInvalid
from adapters.core.model import EVALUATION_SCHEMA_VERSION, LIST_ENTRY_SCHEMA_VERSION
from adapters.core.package import RecordPackage, record_from_canonical
from adapters.core.provinces import Province
from adapters.store.store import Store

log = logging.getLogger(__name__)

Key = tuple[str, int]  # (record id as 0x hex, version)


def load_packages(store: Store, keys: Sequence[Key]) -> dict[Key, RecordPackage]:
    """The packages of the given (record id, version) pairs that the store can serve: versions
    it holds with their record and salt. Missing or withdrawn versions are left out, and so is a
    version whose stored record cannot be read back (logged): one damaged row must not keep
    every other package from the peers."""
    versions = store.versions(keys)
    records = store.records(sorted({k[0] for k in versions}))
    out: dict[Key, RecordPackage] = {}
    for key, v in versions.items():
        rec = records.get(key[0])
        if rec is None or v.record is None or v.salt is None:
            continue
        try:
            out[key] = RecordPackage(
                kind="list-entry" if rec.kind == "list-entry" else "evaluation",
                schema_version=LIST_ENTRY_SCHEMA_VERSION if rec.kind == "list-entry" else EVALUATION_SCHEMA_VERSION,
                province=Province(rec.province),
                entry_id=bytes.fromhex(rec.record_id[2:]),
                version=v.version,
                salt=bytes.fromhex(v.salt[2:]),
                subject_tag=bytes.fromhex(rec.subject_tag[2:]),
                tag_key_version=rec.tag_key_version,
                record=record_from_canonical(rec.kind, orjson.loads(v.record)),
            )
        except (PackageInvalid, ValueError) as exc:
            log.warning("version %s of %s in the store cannot be served as a package: %s", key[1], key[0], exc)
    return out


class PackageSource(Protocol):
    """Where a province obtains the packages of entries owned by other provinces."""

    def packages(self, owner: Province, keys: Sequence[Key]) -> dict[Key, RecordPackage]:
        """The packages of ``keys`` that ``owner`` serves; missing ones are left out."""
        ...


class StorePackageSource:
    """Packages read straight from the owners' stores (all provinces on one machine)."""

    def __init__(self, stores: Mapping[Province, Store]) -> None:
        self.stores = stores

    def packages(self, owner: Province, keys: Sequence[Key]) -> dict[Key, RecordPackage]:
        store = self.stores.get(owner)
        if store is None:
            raise PackageInvalid(f"no store of {owner.value} to take packages from")
        return load_packages(store, keys)
