"""The console's figures from query results: grouping with Chinese names, sync lag per peer and
anchoring health. No ledger, no database."""

from __future__ import annotations

from adapters.core.provinces import Province
from gateway.console import assemble
from gateway.console.queries import CountRow, PeerBacklog, RecentEvent, StoreCounts

MEMBERS = (31, 32, 33, 34)


def test_counts_group_by_province_list_type_status_and_domain() -> None:
    rows = [
        CountRow(33, "list-entry", 1, 3, 1, 5),
        CountRow(33, "list-entry", 2, 3, 4, 2),
        CountRow(33, "list-entry", 2, 10, 1, 1),
        CountRow(31, "evaluation", None, 3, 2, 4),
        CountRow(35, "list-entry", 1, 99, 2, 1),  # a member beyond the founding four, an unknown domain
    ]
    out = assemble.counts(rows, MEMBERS, index_block=120)
    assert out["total"] == 13 and out["index_block"] == 120
    by = {p["code"]: p for p in out["provinces"]}
    assert list(by) == [31, 32, 33, 34, 35]
    assert by[33]["name_zh"] == "浙江省" and (by[33]["red"], by[33]["black"], by[33]["evaluations"]) == (5, 3, 0)
    assert by[33]["entry_statuses"] == {
        "PUBLISHED": 6,
        "DISPUTED": 0,
        "AMENDED": 0,
        "REPAIRED": 2,
        "EXPIRED": 0,
        "REVOKED": 0,
    }
    assert by[31]["evaluation_statuses"] == {"ACTIVE": 0, "REVOKED": 4} and by[31]["total"] == 4
    assert by[32]["total"] == 0 and by[35]["entry_statuses"]["DISPUTED"] == 1 and by[35]["short"] == "35"
    domains = {d["domain"]: d for d in out["domains"]}
    assert domains[3] == {"domain": 3, "name_zh": "生态环境", "red": 5, "black": 2, "evaluations": 4, "total": 11}
    assert domains[10]["name_zh"] == "法院执行" and domains[10]["black"] == 1
    assert domains[99]["name_zh"] == "99" and domains[1]["total"] == 0
    assert out["cells"][1] == {
        "province": 33,
        "kind": "list-entry",
        "list_type": "black",
        "domain": 3,
        "status": "REPAIRED",
        "count": 2,
    }


def test_lag_runs_from_the_sync_cursor_to_the_newest_unread_change_of_each_peer() -> None:
    store = StoreCounts(own={"zj": 9}, copies={"sh": 4, "js": 3, "ah": 2}, missing_content={"ah": 1})
    out = assemble.sync(
        Province.ZJ,
        members=MEMBERS,
        on_ledger={31: 5, 32: 3, 33: 9, 34: 2},
        store=store,
        backlog=[PeerBacklog(31, 2, 104, 107), PeerBacklog(33, 1, 103, 103)],
        sync_block=100,
        index_block=110,
        head_block=111,
    )
    peers = {p["short"]: p for p in out["peers"]}
    assert list(peers) == ["sh", "js", "ah"]
    assert peers["sh"] == {
        "code": 31,
        "short": "sh",
        "name_zh": "上海市",
        "ledger_records": 5,
        "copies": 4,
        "missing_content": 0,
        "pending_events": 2,
        "oldest_pending_block": 104,
        "lag_blocks": 7,
        "state": "behind",
    }
    assert (peers["js"]["lag_blocks"], peers["js"]["state"]) == (0, "current")
    assert (peers["ah"]["lag_blocks"], peers["ah"]["state"]) == (0, "behind")  # a copy still lacks content
    assert out["own_records"] == 9 and out["own_on_ledger"] == 9 and out["province"]["name_zh"] == "浙江省"
    never = assemble.sync(
        Province.ZJ,
        members=MEMBERS,
        on_ledger={},
        store=StoreCounts({}, {}, {}),
        backlog=[PeerBacklog(32, 3, 50, 60)],
        sync_block=None,
        index_block=60,
        head_block=60,
    )
    assert next(p for p in never["peers"] if p["short"] == "js")["lag_blocks"] == 11


def test_anchoring_health() -> None:
    def health(**changes: object) -> tuple[str, list[str]]:
        args: dict[str, object] = {
            "anchoring": True,
            "last_error": None,
            "unanchored": 10,
            "last_age": 20,
            "every_events": 1000,
            "every_seconds": 60.0,
        }
        args.update(changes)
        return assemble.audit_health(**args)  # type: ignore[arg-type]

    assert health() == ("ok", [])
    assert health(anchoring=False) == ("off", ["anchoring_off"])
    assert health(last_error="nonce too low") == ("failing", ["anchoring_failing"])
    assert health(unanchored=2001) == ("lagging", ["events_not_anchored"])
    assert health(last_age=151) == ("lagging", ["checkpoint_old"])
    assert health(last_age=151, unanchored=0) == ("ok", [])
    assert health(last_age=None, unanchored=1001) == ("lagging", ["no_checkpoint"])


def test_events_carry_the_status_they_left() -> None:
    def event(name: str, args: dict[str, object], kind: str = "list-entry") -> dict[str, object]:
        e = RecentEvent(12, 0, 1_767_225_600, name, "0x" + "ab" * 32, "0x" + "cd" * 32, args, 32, kind, 2, 7)
        return assemble.event_out(e)

    published = event("EntryPublished", {"province": 32})
    assert published["status"] == "PUBLISHED" and published["version"] == 1
    assert published["time"] == "2026-01-01T00:00:00Z"
    assert published["list_type"] == "black" and published["domain_zh"] == "安全生产" and published["owner"] == "js"
    assert event("EntryStatusChanged", {"status": 2})["status"] == "DISPUTED"
    assert event("EntryAmended", {"version": 2})["version"] == 2
    recognised = event("ResultRecognised", {"province": 33, "yrdGrade": 2}, kind="evaluation")
    assert recognised["by"] == "zj" and recognised["status"] is None
