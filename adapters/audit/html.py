"""The audit report as one self-contained HTML page: no scripts, fonts, images or styles from
elsewhere; the timeline is inline SVG. Made from the JSON report only (``report.build``), every
value escaped."""

from __future__ import annotations

import json
from html import escape
from typing import Any

COLOURS = {"sh": "#1f77b4", "js": "#2ca02c", "zj": "#d62728", "ah": "#9467bd"}
OTHER_COLOUR = "#7f7f7f"

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:72em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;
vertical-align:top}th{background:#f3f3f3}.ok{color:#0a7d22;font-weight:bold}.bad{color:#b00020;font-weight:bold}
code,pre{font-family:ui-monospace,monospace;font-size:.85em}pre{margin:0;white-space:pre-wrap;word-break:break-all}
.legend span{display:inline-block;margin-right:1em}.swatch{display:inline-block;width:.9em;height:.9em;
margin-right:.3em;vertical-align:middle}
"""


def render(report: dict[str, Any]) -> str:
    """The page for ``report``."""
    ok = bool(report["ok"])
    replay = report["replay"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>yrdx audit report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>yrdx audit report</h1>",
        '<p class="ok">No discrepancies found.</p>'
        if ok
        else f'<p class="bad">{sum(report["discrepancies"]["counts"].values())} discrepancies found.</p>',
        _table(
            ["chain id", "genesis", "blocks replayed", "events", "state digest"],
            [
                [
                    report["chain"]["chain_id"],
                    _code(report["chain"]["genesis_hash"]),
                    f"{replay['from_block']}–{replay['to_block']}",
                    replay["events"],
                    _code(replay["state_digest"]),
                ]
            ],
        ),
        "<h2>Discrepancies</h2>",
        _discrepancies(report["discrepancies"]),
        "<h2>Activity</h2>",
        _timeline(report["timeline"]),
        "<h2>Provinces</h2>",
        _provinces(report["provinces"]),
        "<h2>Consortium</h2>",
        _consortium(report["consortium"]),
        "<h2>Anchored logs</h2>",
        _streams(report["streams"], report["gateways"]),
    ]
    if report["notes"]:
        parts += ["<h2>Not checked</h2>", "<ul>", *(f"<li>{escape(n)}</li>" for n in report["notes"]), "</ul>"]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _code(value: Any) -> str:
    return f"<code>{escape(str(value))}</code>"


def _table(head: list[str], rows: list[list[Any]]) -> str:
    out = ["<table><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr>"]
    for row in rows:
        cells = (c if isinstance(c, str) and c.startswith("<") else escape(str(c)) for c in row)
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _discrepancies(doc: dict[str, Any]) -> str:
    if not doc["counts"]:
        return "<p>None.</p>"
    counts = _table(["code", "count"], [[_code(k), v] for k, v in doc["counts"].items()])
    rows = [
        [
            _code(d["code"]),
            d["scope"],
            d["subject"],
            d["message"],
            "<pre>" + escape(json.dumps(d["evidence"], indent=1, sort_keys=True, ensure_ascii=False)) + "</pre>",
        ]
        for d in doc["items"]
    ]
    return counts + _table(["code", "scope", "subject", "what", "evidence"], rows)


def _timeline(doc: dict[str, Any], *, width: int = 900, height: int = 220) -> str:
    buckets = doc["buckets"]
    if not buckets:
        return "<p>No events.</p>"
    lo, hi = buckets[0]["from_block"], buckets[-1]["to_block"]
    span = max(hi - lo + 1, 1)
    peak = max(sum(b["events"].values()) for b in buckets) or 1
    left, bottom, plot_h = 60, height - 30, height - 50
    plot_w = width - left - 10
    bar_w = max(plot_w * doc["width"] / span, 1.0)
    shapes = []
    names: list[str] = []
    for b in buckets:
        x = left + plot_w * (b["from_block"] - lo) / span
        y = float(bottom)
        for name, n in sorted(b["events"].items()):
            if name not in names:
                names.append(name)
            h = plot_h * n / peak
            y -= h
            colour = COLOURS.get(name, OTHER_COLOUR)
            title = f"blocks {b['from_block']}-{b['to_block']}: {n} events of {name}"
            shapes.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{escape(title)}</title></rect>"
            )
    axis = [
        f'<line x1="{left}" y1="{bottom}" x2="{width - 10}" y2="{bottom}" stroke="#333"/>',
        f'<line x1="{left}" y1="{bottom}" x2="{left}" y2="{bottom - plot_h}" stroke="#333"/>',
        f'<text x="{left - 5}" y="{bottom - plot_h + 10}" text-anchor="end" font-size="11">{peak}</text>',
        f'<text x="{left - 5}" y="{bottom}" text-anchor="end" font-size="11">0</text>',
        f'<text x="{left}" y="{bottom + 15}" font-size="11">block {lo}</text>',
        f'<text x="{width - 10}" y="{bottom + 15}" text-anchor="end" font-size="11">block {hi}</text>',
        f'<text x="{(left + width) / 2}" y="{bottom + 15}" text-anchor="middle" font-size="11">'
        f"events per {doc['width']} block{'s' if doc['width'] > 1 else ''}</text>",
    ]
    legend = "".join(
        f'<span><i class="swatch" style="background:{COLOURS.get(n, OTHER_COLOUR)}"></i>{escape(n)}</span>'
        for n in names
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="events over blocks">{"".join(axis + shapes)}</svg>'
    )
    return f'<div class="legend">{legend}</div>{svg}'


def _counts(doc: dict[str, int]) -> str:
    return ", ".join(f"{escape(str(k))}: {v}" for k, v in doc.items()) or "–"


def _provinces(doc: dict[str, Any]) -> str:
    rows = []
    for name, p in doc.items():
        entries, results = p.get("entries"), p.get("results")
        store = p.get("store")
        rows.append(
            [
                name,
                entries["total"] if entries else "–",
                _counts(entries["by_list_type"]) if entries else "–",
                _counts(entries["by_domain"]) if entries else "–",
                _counts(entries["by_status"]) if entries else "–",
                f"{results['total']} ({_counts(results['by_status'])})" if results else "–",
                p.get("recognitions_given", "–"),
                "not checked"
                if store is None
                else f"own {store['own']}, synced {store['synced']}, pending {store['pending']}, "
                f"content verified {store['content_checked']}",
            ]
        )
    head = ["province", "entries", "by list type", "by domain", "by status", "results", "recognitions", "store"]
    return _table(head, rows)


def _consortium(doc: dict[str, Any]) -> str:
    summary = _table(
        ["members", "quorum", "tag key version", "proposals (executed)"],
        [
            [
                ", ".join(f"{k}: {v}" for k, v in doc["members"].items()),
                doc["quorum"],
                doc["tag_key_version"],
                f"{doc['proposals']} ({doc['executed']})",
            ]
        ],
    )
    history = _table(
        ["block", "event", "details"],
        [[h["block"], h["event"], _code(json.dumps(h["details"], sort_keys=True))] for h in doc["history"]],
    )
    return summary + history


def _streams(streams: list[dict[str, Any]], gateways: dict[str, Any]) -> str:
    rows = [
        [_code(s["stream"][:18] + "…"), s["owner"], s["name"], s["checkpoints"], s["tree_size"], s["consistency"]]
        for s in streams
    ]
    out = (
        _table(["stream", "owner", "name", "checkpoints", "tree size", "consistency"], rows) if rows else "<p>None.</p>"
    )
    if gateways:
        out += _table(
            ["gateway", "events", "anchored size", "checkpoints checked"],
            [
                [url, g.get("events"), g.get("anchored_size"), g.get("checkpoints_checked")]
                for url, g in sorted(gateways.items())
            ],
        )
    return out
