"""Pure functions that turn the console's query results into its answers: grouping, Chinese
names, lag and anchoring health. No I/O, so each rule is tested on its own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from adapters.chain.verify import RESULT_STATUS
from adapters.core.model import DOMAIN_NAMES_ZH, Domain, EntryStatus
from adapters.core.provinces import Province
from gateway.console.queries import AnchoredCheckpoint, Bucket, CountRow, PeerBacklog, RecentEvent, StoreCounts

LIST_TYPES = {1: "red", 2: "black"}
ENTRY_STATUSES = tuple(s.name for s in EntryStatus)
EVALUATION_STATUSES = tuple(RESULT_STATUS.values())


def iso(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def province_out(code: int) -> dict[str, Any]:
    """A member by its code, with its names (a member beyond the founding four by its code)."""
    try:
        p = Province.from_code(code)
    except ValueError:
        return {"code": code, "short": str(code), "name_zh": str(code), "name_en": str(code)}
    return {"code": code, "short": p.value, "name_zh": p.name_zh, "name_en": p.name_en}


def domain_zh(domain: int) -> str:
    try:
        return DOMAIN_NAMES_ZH[Domain(domain)]
    except ValueError:
        return str(domain)


def status_name(kind: str, status: int) -> str:
    if kind == "list-entry":
        try:
            return EntryStatus(status).name
        except ValueError:
            return str(status)
    return RESULT_STATUS.get(status, str(status))


def counts(rows: Sequence[CountRow], members: Iterable[int], *, index_block: int | None) -> dict[str, Any]:
    """Records per province (every member, and any other owner found) by list type and status,
    per domain by list type, and the cells they were summed from."""
    provinces: dict[int, dict[str, Any]] = {}
    domains: dict[int, dict[str, Any]] = {}

    def province(code: int) -> dict[str, Any]:
        if code not in provinces:
            out = province_out(code)
            provinces[code] = {
                "code": code,
                "short": out["short"],
                "name_zh": out["name_zh"],
                "total": 0,
                "red": 0,
                "black": 0,
                "evaluations": 0,
                "entry_statuses": dict.fromkeys(ENTRY_STATUSES, 0),
                "evaluation_statuses": dict.fromkeys(EVALUATION_STATUSES, 0),
            }
        return provinces[code]

    for code in members:
        province(code)
    for known in Domain:
        domains[int(known)] = _domain_counts(int(known))
    cells = []
    for row in rows:
        p = province(row.province)
        d = domains.setdefault(row.domain, _domain_counts(row.domain))
        status = status_name(row.kind, row.status)
        column = LIST_TYPES.get(row.list_type or 0, "red") if row.kind == "list-entry" else "evaluations"
        statuses = p["entry_statuses"] if row.kind == "list-entry" else p["evaluation_statuses"]
        statuses[status] = statuses.get(status, 0) + row.count
        for target in (p, d):
            target[column] += row.count
            target["total"] += row.count
        cells.append(
            {
                "province": row.province,
                "kind": row.kind,
                "list_type": LIST_TYPES.get(row.list_type) if row.list_type is not None else None,
                "domain": row.domain,
                "status": status,
                "count": row.count,
            }
        )
    return {
        "index_block": index_block,
        "total": sum(row.count for row in rows),
        "provinces": [provinces[c] for c in sorted(provinces)],
        "domains": [domains[d] for d in sorted(domains)],
        "cells": cells,
    }


def _domain_counts(domain: int) -> dict[str, Any]:
    return {"domain": domain, "name_zh": domain_zh(domain), "red": 0, "black": 0, "evaluations": 0, "total": 0}


def sync(
    own: Province,
    *,
    members: Iterable[int],
    on_ledger: Mapping[int, int],
    store: StoreCounts,
    backlog: Sequence[PeerBacklog],
    sync_block: int | None,
    index_block: int | None,
    head_block: int | None,
) -> dict[str, Any]:
    """Per peer province: its records on the ledger, the copies here, the copies still without
    content, and the ledger changes the syncer has not read: how many, and the lag — the
    blocks from the sync cursor to the newest of them (0 when none waits)."""
    waiting = {b.province: b for b in backlog}
    peers = []
    for code in sorted(set(members) - {own.code}):
        out = province_out(code)
        b = waiting.get(code)
        lag = 0
        if b is not None:
            lag = b.newest_block - (sync_block if sync_block is not None else b.oldest_block - 1)
        peers.append(
            {
                "code": code,
                "short": out["short"],
                "name_zh": out["name_zh"],
                "ledger_records": on_ledger.get(code, 0),
                "copies": store.copies.get(out["short"], 0),
                "missing_content": store.missing_content.get(out["short"], 0),
                "pending_events": b.events if b else 0,
                "oldest_pending_block": b.oldest_block if b else None,
                "lag_blocks": lag,
                "state": "behind" if b or store.missing_content.get(out["short"], 0) else "current",
            }
        )
    return {
        "province": province_out(own.code),
        "sync_block": sync_block,
        "index_block": index_block,
        "head_block": head_block,
        "own_records": store.own.get(own.value, 0),
        "own_on_ledger": on_ledger.get(own.code, 0),
        "peers": peers,
    }


def event_out(e: RecentEvent) -> dict[str, Any]:
    kind = e.kind
    status: str | None = None
    if e.name in ("EntryPublished", "EntryAmended"):
        status = "PUBLISHED" if e.name == "EntryPublished" else "AMENDED"
    elif e.name == "EntryStatusChanged":
        status = status_name(kind, int(e.args["status"]))
    elif e.name == "ResultPublished":
        status = "ACTIVE"
    elif e.name == "ResultRevoked":
        status = "REVOKED"
    version = e.args.get("version")
    by = province_out(int(e.args["province"]))["short"] if e.name == "ResultRecognised" else None
    return {
        "block": e.block,
        "time": iso(e.time),
        "event": e.name,
        "record_id": e.record_id,
        "owner": province_out(e.province)["short"],
        "kind": kind,
        "list_type": LIST_TYPES.get(e.list_type) if e.list_type is not None else None,
        "domain": e.domain,
        "domain_zh": domain_zh(e.domain),
        "status": status,
        "version": int(version) if version is not None else (1 if e.name.endswith("Published") else None),
        "by": by,
        "tx": e.tx_hash,
    }


def buckets_out(buckets: Sequence[Bucket]) -> list[dict[str, int]]:
    return [
        {"first_block": b.first, "last_block": b.last, "published": b.published, "changed": b.changed} for b in buckets
    ]


def audit_health(
    *,
    anchoring: bool,
    last_error: str | None,
    unanchored: int,
    last_age: int | None,
    every_events: int,
    every_seconds: float,
) -> tuple[str, list[str]]:
    """``off`` without anchoring; ``failing`` while the last attempt failed; ``lagging`` when
    more than two intervals' worth of events or time is not anchored; else ``ok``."""
    if not anchoring:
        return "off", ["anchoring_off"]
    if last_error:
        return "failing", ["anchoring_failing"]
    found = []
    if unanchored > 2 * every_events:
        found.append("events_not_anchored")
    if unanchored and last_age is not None and last_age > 2 * every_seconds + 30:
        found.append("checkpoint_old")
    if unanchored and last_age is None and unanchored > every_events:
        found.append("no_checkpoint")
    return ("lagging" if found else "ok"), found


def checkpoint_out(c: AnchoredCheckpoint, *, now: int) -> dict[str, Any]:
    return {
        "index": c.index,
        "tree_size": c.tree_size,
        "root": c.root,
        "anchored_at": iso(c.anchored_at),
        "age_seconds": max(0, now - c.anchored_at),
        "block": c.block,
        "tx": c.tx_hash,
    }
