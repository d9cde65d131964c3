"""The audit report as JSON (``REPORT_FORMAT`` 1), the one source the HTML report and the
command line's summary are made from.

Top-level members, all always present::

    report_format   1
    ok              true when no discrepancy was found
    chain           chain_id, genesis_hash, deploy_block, contracts {name: address}
    replay          from_block, to_block, resumed_from, events, events_read, seconds,
                    events_per_s, state_digest, senders_checked, counts {event: n}
    consortium      members {code: signer}, quorum, tag_key_version, proposals, executed,
                    history [{block, event, details}]
    provinces       {sh|js|zj|ah: {code, entries: {total, by_list_type, by_domain, by_status},
                     results: {total, by_domain, by_status}, recognitions_given, store}}
                    store: the store check's counts, or null when the store was not given
    streams         [{stream, owner, name, checkpoints, tree_size, root, consistency}]
                    consistency: "verified", "failed" or "unchecked" (no gateway given)
    gateways        {url: {stream, events, anchored_size, checkpoints_checked, proofs_checked}}
    discrepancies   {counts {code: n}, items [{code, scope, subject, message, evidence}]}
    notes           [text]: what was not checked, and why
    timeline        {width, buckets [{from_block, to_block, events {province: n}}]}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.audit.activity import Activity
from adapters.audit.chain import Replay
from adapters.audit.findings import Findings
from adapters.audit.senders import province_name
from adapters.audit.state import LedgerState
from adapters.core.model import EntryStatus
from adapters.core.provinces import PROVINCES

REPORT_FORMAT = 1
LIST_TYPES = {1: "red", 2: "black"}
RESULT_STATUSES = {1: "ACTIVE", 2: "REVOKED"}


def _entry_status(status: int) -> str:
    try:
        return EntryStatus(status).name
    except ValueError:
        return str(status)


def _bump(counts: dict[str, int], key: str) -> None:
    counts[key] = counts.get(key, 0) + 1


def province_counts(state: LedgerState) -> dict[str, dict[str, Any]]:
    """Per owner province: entries by list type, domain and status; results by domain and
    status; recognitions it gave."""
    out: dict[str, dict[str, Any]] = {}

    def of(code: int) -> dict[str, Any]:
        name = province_name(code)
        if name not in out:
            out[name] = {
                "code": code,
                "entries": {"total": 0, "by_list_type": {}, "by_domain": {}, "by_status": {}},
                "results": {"total": 0, "by_domain": {}, "by_status": {}},
                "recognitions_given": 0,
                "store": None,
            }
        return out[name]

    for p in PROVINCES:
        of(p.code)
    for e in state.entries.values():
        entries = of(e.province)["entries"]
        entries["total"] += 1
        _bump(entries["by_list_type"], LIST_TYPES.get(e.list_type, str(e.list_type)))
        _bump(entries["by_domain"], str(e.domain))
        _bump(entries["by_status"], _entry_status(e.status))
    for r in state.results.values():
        results = of(r.province)["results"]
        results["total"] += 1
        _bump(results["by_domain"], str(r.domain))
        _bump(results["by_status"], RESULT_STATUSES.get(r.status, str(r.status)))
        for code in r.recognitions:
            of(code)["recognitions_given"] += 1
    for doc in out.values():
        for part in (doc["entries"], doc["results"]):
            for key in ("by_list_type", "by_domain", "by_status"):
                if key in part:
                    part[key] = dict(sorted(part[key].items()))
    return dict(sorted(out.items(), key=lambda kv: kv[1]["code"]))


def build(
    replay: Replay,
    *,
    findings: Findings,
    from_block: int,
    stores: Mapping[str, dict[str, Any]],
    gateways: Mapping[str, dict[str, Any]],
    consistency: Mapping[str, str],
    notes: list[str],
) -> dict[str, Any]:
    """The report of an audit whose replay is ``replay`` and whose findings (replay's and the
    cross-checks') are ``findings``."""
    state = replay.state
    c = state.consortium
    provinces = province_counts(state)
    for name, summary in stores.items():
        provinces.setdefault(name, {"code": None, "store": None})["store"] = summary
    seconds = round(replay.seconds, 3)
    return {
        "report_format": REPORT_FORMAT,
        "ok": len(findings) == 0,
        "chain": {
            "chain_id": replay.chain_id,
            "genesis_hash": replay.genesis_hash,
            "deploy_block": replay.deployment.deploy_block,
            "contracts": {k: v.lower() for k, v in sorted(replay.deployment.addresses().items())},
        },
        "replay": {
            "from_block": from_block,
            "to_block": state.block,
            "resumed_from": replay.resumed_from,
            "events": replay.events,
            "events_read": replay.events_read,
            "seconds": seconds,
            "events_per_s": round(replay.events_read / replay.seconds, 1) if replay.seconds > 0 else None,
            "state_digest": state.digest(),
            "senders_checked": replay.senders_checked,
            "counts": dict(sorted(replay.counts.items())),
        },
        "consortium": {
            "members": {str(k): v for k, v in sorted(c.members.items())},
            "quorum": c.quorum,
            "tag_key_version": c.tag_key_version,
            "proposals": len(c.proposals),
            "executed": sum(1 for p in c.proposals.values() if p.executed_block),
            "history": [{"block": b, "event": ev, "details": d} for b, _, ev, d in c.history],
        },
        "provinces": provinces,
        "streams": [
            {
                "stream": sid,
                "owner": province_name(s.owner),
                "name": _name(s.name),
                "checkpoints": len(s.checkpoints),
                "tree_size": s.checkpoints[-1][1] if s.checkpoints else 0,
                "root": s.checkpoints[-1][2] if s.checkpoints else None,
                "consistency": consistency.get(sid, "unchecked"),
            }
            for sid, s in sorted(state.streams.items())
        ],
        "gateways": dict(gateways),
        "discrepancies": findings.to_json(),
        "notes": list(notes),
        "timeline": timeline(replay.activity),
    }


def timeline(activity: Activity) -> dict[str, Any]:
    return {
        "width": activity.width,
        "buckets": [
            {"from_block": lo, "to_block": hi, "events": {province_name(p): n for p, n in sorted(counts.items())}}
            for lo, hi, counts in activity.series()
        ],
    }


def _name(hex_name: str) -> str:
    """A stream's ``bytes32`` name as text when it is ASCII, else the hex."""
    try:
        return bytes.fromhex(hex_name[2:]).rstrip(b"\x00").decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return hex_name
