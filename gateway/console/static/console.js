// yrdx gateway console: plain browser JavaScript, no build step, no third-party code.
// The access token comes once from the URL fragment (#token=...) or the sign-in form, lives in
// sessionStorage only, and is sent as "Authorization: Bearer" to /console/api and /v1.
"use strict";

(() => {
  const TOKEN_KEY = "yrdx.console.token";
  const SVG = "http://www.w3.org/2000/svg";
  const REFRESH_MS = 30000;

  const ENTRY_STATUS = {
    PUBLISHED: ["公示中", "#2563eb"],
    DISPUTED: ["异议中", "#f59e0b"],
    AMENDED: ["已更正", "#7c3aed"],
    REPAIRED: ["已修复", "#10b981"],
    EXPIRED: ["已到期", "#94a3b8"],
    REVOKED: ["已撤销", "#ef4444"],
  };
  const RESULT_STATUS = { ACTIVE: ["有效", "#0d9488"], REVOKED: ["已撤销", "#ef4444"] };
  const LIST_TYPE = { red: ["红名单", "#dc2626"], black: ["黑名单", "#334155"] };
  const EVALUATION = ["信用评价", "#0d9488"];
  const EVENTS = {
    EntryPublished: "发布 published",
    EntryAmended: "更正 amended",
    EntryStatusChanged: "状态变更 status",
    ResultPublished: "评价发布 published",
    ResultRevoked: "评价撤销 revoked",
    ResultRecognised: "互认 recognised",
  };
  const PROVINCES = { sh: ["上海市", "Shanghai", 31], js: ["江苏省", "Jiangsu", 32], zj: ["浙江省", "Zhejiang", 33], ah: ["安徽省", "Anhui", 34] };
  const ROLES = { province: "省级平台 province platform", auditor: "审计 auditor", agency: "信用机构 agency" };
  const HEALTH = {
    ok: ["正常 ok", "ok"],
    lagging: ["滞后 lagging", "warn"],
    failing: ["失败 failing", "bad"],
    off: ["未开启 off", ""],
  };

  const $ = (id) => document.getElementById(id);
  const fmt = (n) => (n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US"));
  const short = (hex, n = 10) => (hex && hex.length > n + 6 ? `${hex.slice(0, n)}…${hex.slice(-4)}` : hex || "–");
  const when = (iso) => (iso ? iso.replace("T", " ").replace("Z", " UTC") : "–");
  const stamp = (iso) => (iso ? iso.replace("T", " ").replace("Z", "") : "–");
  const statusLabel = (kind, s) => {
    const table = kind === "evaluation" ? RESULT_STATUS : ENTRY_STATUS;
    return table[s] ? `${table[s][0]} ${s}` : s || "–";
  };

  // -- DOM helpers ------------------------------------------------------------------------------

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") el.className = v;
      else if (k.startsWith("data-")) el.setAttribute(k, String(v));
      else if (k === "title") el.title = v;
      else el.setAttribute(k, String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function s(tag, attrs, ...children) {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined) el.setAttribute(k, String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function fill(tbody, rows, columns) {
    tbody.replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { class: "empty", colspan: columns }, "无 none"))]));
  }

  function setText(id, text) {
    $(id).textContent = text;
  }

  function badge(text, cls) {
    return h("span", { class: `badge ${cls || ""}` }, text);
  }

  function swatch(color) {
    const el = s("svg", { width: 10, height: 10, class: "swatch", "aria-hidden": "true" });
    el.append(s("rect", { width: 10, height: 10, rx: 2, fill: color }));
    return el;
  }

  // -- the token and the API --------------------------------------------------------------------

  function takeFragmentToken() {
    const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (m) {
      sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
      history.replaceState(null, "", location.pathname + location.search);
    }
  }

  const token = () => sessionStorage.getItem(TOKEN_KEY);

  class ApiError extends Error {
    constructor(status, problem) {
      super(problem.detail || problem.error_description || `HTTP ${status}`);
      this.status = status;
      this.code = problem.code || problem.error || "";
    }
  }

  async function api(path) {
    const response = await fetch(path, {
      headers: { Authorization: `Bearer ${token()}`, Accept: "application/json" },
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer",
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new ApiError(response.status, body);
    return { body, audit: response.headers.get("x-audit-event") };
  }

  // -- views ------------------------------------------------------------------------------------

  function show(view) {
    $("signin").hidden = view !== "signin";
    $("console").hidden = view !== "console";
    $("refused").hidden = view !== "refused";
    $("caller").hidden = view !== "console";
  }

  function signIn(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    show("signin");
    setText("signin-error", message || "");
    document.body.dataset.state = "signin";
  }

  function refused(detail) {
    show("refused");
    setText("refused-detail", detail);
    document.body.dataset.state = "refused";
  }

  function renderSession(session) {
    const p = session.province;
    renderGateway(session.gateway, p);
    setText("hdr-organisation", session.organisation);
    setText("hdr-role", ROLES[session.role] || session.role);
    setText("hdr-client", session.client);
    $("caller").title = `token valid until ${when(session.expires_at)}`;
    document.title = `${p.name_zh} · ${session.gateway} · 控制台`;
    const allowed = session.can_query_subjects;
    for (const el of $("lookup-form").querySelectorAll("input, button")) el.disabled = !allowed;
    setText(
      "lookup-note",
      allowed
        ? "Every lookup states its purpose and the subject's consent or legal basis; both are recorded in the audit trail with the subject's tag, never its id."
        : "需要 subjects:query 权限 — this token does not grant scope subjects:query (auditors read the access log instead).",
    );
  }

  function renderGateway(gateway, p) {
    $("gateway-id").hidden = false;
    setText("hdr-province", `${p.name_zh} ${p.name_en} · ${p.code}`);
    setText("hdr-gateway", gateway);
  }

  // Which gateway this is, before any token: from the open /healthz.
  async function identify() {
    try {
      const r = await fetch("/healthz", { cache: "no-store", credentials: "omit" });
      const health = await r.json();
      const [name_zh, name_en, code] = PROVINCES[health.province] || [health.province, "", ""];
      renderGateway(health.gateway, { name_zh, name_en, code });
    } catch (err) {
      // the header stays generic; the console itself reports what failed
    }
  }

  function renderConsortium(c) {
    const n = c.members.length;
    setText("kpi-members", fmt(n));
    setText("kpi-quorum", c.quorum ? `quorum ${c.quorum} of ${n} · 表决门槛 ${c.quorum}/${n}` : "quorum unknown");
    setText("quorum", c.quorum ? `${c.quorum} / ${n}` : "–");
    setText("tag-key", c.tag_key_version ? `v${c.tag_key_version}` : "–");
    setText("index-block", c.index_block === null ? "–" : `${fmt(c.index_block)} / head ${fmt(c.head_block)}`);
    setText("consortium-error", c.ledger_error ? `Ledger unreachable, members from the index: ${c.ledger_error}` : "");
    fill(
      $("members").tBodies[0],
      c.members.map((m) =>
        h(
          "tr",
          { "data-code": m.code, class: m.this_gateway ? "this" : "" },
          h("td", { class: "mono" }, m.code),
          h("td", {}, h("strong", {}, m.name_zh || m.short), " ", h("span", { class: "muted" }, m.name_en || "")),
          h("td", { class: "mono", title: m.signer || "" }, short(m.signer, 12)),
          h("td", {}, m.this_gateway ? badge("本网关 this gateway", "ok") : ""),
        ),
      ),
      4,
    );
  }

  function renderCounts(c) {
    setText("kpi-records", fmt(c.total));
    const red = c.provinces.reduce((a, p) => a + p.red, 0);
    const black = c.provinces.reduce((a, p) => a + p.black, 0);
    const ev = c.provinces.reduce((a, p) => a + p.evaluations, 0);
    setText("kpi-records-note", `红 ${fmt(red)} · 黑 ${fmt(black)} · 评价 ${fmt(ev)}`);
    fill(
      $("province-counts").tBodies[0],
      c.provinces.map((p) =>
        h(
          "tr",
          { "data-province": p.short },
          h("td", {}, h("strong", {}, p.name_zh), " ", h("span", { class: "muted mono" }, p.short)),
          h("td", { class: "num", "data-col": "red" }, fmt(p.red)),
          h("td", { class: "num", "data-col": "black" }, fmt(p.black)),
          h("td", { class: "num", "data-col": "evaluations" }, fmt(p.evaluations)),
          h("td", { class: "num", "data-col": "total" }, h("strong", {}, fmt(p.total))),
        ),
      ),
      5,
    );
    $("chart-provinces").replaceChildren(provinceChart(c.provinces), legend(ENTRY_STATUS));
    $("chart-domains").replaceChildren(domainChart(c.domains));
  }

  function legend(table) {
    return h(
      "div",
      { class: "legend-row" },
      Object.entries(table).map(([k, [zh, color]]) => h("span", {}, swatch(color), `${zh} ${k.toLowerCase()}`)),
    );
  }

  // Stacked columns: one per province, list entries split by status.
  function provinceChart(provinces) {
    const W = 560, H = 250, left = 44, bottom = 40, top = 22;
    const totals = provinces.map((p) => Object.values(p.entry_statuses).reduce((a, b) => a + b, 0));
    const max = niceMax(Math.max(1, ...totals));
    const plotH = H - top - bottom;
    const step = (W - left - 10) / Math.max(1, provinces.length);
    const barW = Math.min(64, step * 0.55);
    const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", id: "svg-provinces", "aria-label": "List entries per province by status" });
    for (const t of ticks(max)) {
      const y = top + plotH - (t / max) * plotH;
      svg.append(s("line", { class: "grid-line", x1: left, x2: W - 6, y1: y, y2: y }));
      svg.append(s("text", { x: left - 6, y: y + 4, "text-anchor": "end" }, fmt(t)));
    }
    provinces.forEach((p, i) => {
      const x = left + step * i + (step - barW) / 2;
      let y = top + plotH;
      for (const [status, [zh, color]] of Object.entries(ENTRY_STATUS)) {
        const v = p.entry_statuses[status] || 0;
        if (!v) continue;
        const hgt = (v / max) * plotH;
        y -= hgt;
        svg.append(
          s(
            "rect",
            { x, y, width: barW, height: Math.max(hgt, 0.5), fill: color, "data-province": p.short, "data-status": status, "data-value": v },
            s("title", {}, `${p.name_zh} · ${zh} ${status}: ${fmt(v)}`),
          ),
        );
      }
      svg.append(s("text", { class: "value", x: x + barW / 2, y: y - 6, "text-anchor": "middle" }, fmt(totals[i])));
      svg.append(s("text", { x: x + barW / 2, y: H - bottom + 18, "text-anchor": "middle" }, p.name_zh));
      svg.append(s("text", { x: x + barW / 2, y: H - bottom + 33, "text-anchor": "middle", class: "muted" }, p.short));
    });
    svg.append(s("line", { class: "axis", x1: left, x2: W - 6, y1: top + plotH, y2: top + plotH }));
    return svg;
  }

  // Horizontal bars: one per domain, split into red list, black list and evaluations.
  function domainChart(domains) {
    const rowH = 24, left = 150, right = 70, W = 1100, top = 6;
    const series = [["red", ...LIST_TYPE.red], ["black", ...LIST_TYPE.black], ["evaluations", ...EVALUATION]];
    const max = niceMax(Math.max(1, ...domains.map((d) => d.total)));
    const H = top + rowH * domains.length + 26;
    const plotW = W - left - right;
    const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", id: "svg-domains", "aria-label": "Records per domain" });
    for (const t of ticks(max)) {
      const x = left + (t / max) * plotW;
      svg.append(s("line", { class: "grid-line", x1: x, x2: x, y1: top, y2: H - 22 }));
      svg.append(s("text", { x, y: H - 6, "text-anchor": "middle" }, fmt(t)));
    }
    domains.forEach((d, i) => {
      const y = top + i * rowH;
      svg.append(s("text", { x: left - 10, y: y + rowH / 2 + 4, "text-anchor": "end" }, d.name_zh));
      let x = left;
      for (const [key, zh, color] of series) {
        const v = d[key];
        if (!v) continue;
        const w = (v / max) * plotW;
        svg.append(
          s(
            "rect",
            { x, y: y + 4, width: Math.max(w, 0.5), height: rowH - 8, rx: 2, fill: color, "data-domain": d.domain, "data-series": key, "data-value": v },
            s("title", {}, `${d.name_zh} · ${zh}: ${fmt(v)}`),
          ),
        );
        x += w;
      }
      svg.append(s("text", { class: "value", x: x + 6, y: y + rowH / 2 + 4 }, fmt(d.total)));
    });
    svg.append(s("line", { class: "axis", x1: left, x2: left, y1: top, y2: H - 22 }));
    const wrap = h("div", {}, svg);
    wrap.append(h("div", { class: "legend-row" }, series.map(([k, zh, color]) => h("span", {}, swatch(color), `${zh} ${k}`))));
    return wrap;
  }

  // Publications (area) and other changes (line) per block range.
  function activityChart(buckets) {
    const W = 1100, H = 150, left = 44, right = 12, top = 14, bottom = 30;
    const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", id: "svg-activity", "aria-label": "Publications per block range" });
    if (!buckets.length) {
      svg.append(s("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, "No ledger events indexed yet · 暂无链上事件"));
      return svg;
    }
    const max = niceMax(Math.max(1, ...buckets.map((b) => Math.max(b.published, b.changed))));
    const plotW = W - left - right, plotH = H - top - bottom;
    const x = (i) => left + (buckets.length === 1 ? plotW / 2 : (i / (buckets.length - 1)) * plotW);
    const y = (v) => top + plotH - (v / max) * plotH;
    for (const t of ticks(max)) {
      svg.append(s("line", { class: "grid-line", x1: left, x2: W - right, y1: y(t), y2: y(t) }));
      svg.append(s("text", { x: left - 6, y: y(t) + 4, "text-anchor": "end" }, fmt(t)));
    }
    const line = (key) => buckets.map((b, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(b[key]).toFixed(1)}`).join("");
    const area = `${line("published")}L${x(buckets.length - 1).toFixed(1)},${y(0)}L${x(0).toFixed(1)},${y(0)}Z`;
    svg.append(s("path", { d: area, fill: "#2563eb", "fill-opacity": 0.14, stroke: "none" }));
    svg.append(s("path", { d: line("published"), fill: "none", stroke: "#2563eb", "stroke-width": 2, "data-series": "published" }));
    svg.append(s("path", { d: line("changed"), fill: "none", stroke: "#f59e0b", "stroke-width": 1.6, "stroke-dasharray": "4 3", "data-series": "changed" }));
    buckets.forEach((b, i) => {
      const c = s("circle", { cx: x(i), cy: y(b.published), r: b.published ? 2.6 : 0, fill: "#2563eb", "data-first": b.first_block, "data-last": b.last_block, "data-value": b.published });
      c.append(s("title", {}, `blocks ${fmt(b.first_block)}–${fmt(b.last_block)}: ${fmt(b.published)} published, ${fmt(b.changed)} changed`));
      svg.append(c);
    });
    svg.append(s("line", { class: "axis", x1: left, x2: W - right, y1: y(0), y2: y(0) }));
    const first = buckets[0], last = buckets[buckets.length - 1];
    svg.append(s("text", { x: left, y: H - 8 }, `block ${fmt(first.first_block)}`));
    svg.append(s("text", { x: W - right, y: H - 8, "text-anchor": "end" }, `block ${fmt(last.last_block)}`));
    const wrap = h("div", {}, svg);
    wrap.append(
      h(
        "div",
        { class: "legend-row" },
        h("span", {}, swatch("#2563eb"), "发布 publications"),
        h("span", {}, swatch("#f59e0b"), "其他变更 other changes"),
        h("span", { class: "muted" }, `${buckets.length} ranges of ${fmt(first.last_block - first.first_block + 1)} blocks`),
      ),
    );
    return wrap;
  }

  // The audit log's size against what is anchored, and the anchored sizes over time.
  function auditGauge(a) {
    const W = 560, H = 130, left = 10, right = 10;
    const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", id: "svg-audit", "aria-label": "Audit tree size and anchored size" });
    const plotW = W - left - right;
    const anchoredW = a.tree_size ? (a.anchored_size / a.tree_size) * plotW : 0;
    svg.append(s("rect", { x: left, y: 8, width: plotW, height: 16, rx: 8, fill: "#e2e8f0", "data-value": a.tree_size }));
    svg.append(s("rect", { x: left, y: 8, width: Math.max(anchoredW, 0), height: 16, rx: 8, fill: "#15803d", "data-value": a.anchored_size, id: "gauge-anchored" }));
    svg.append(s("text", { x: left, y: 42 }, `已锚定 anchored ${fmt(a.anchored_size)}`));
    svg.append(s("text", { x: W - right, y: 42, "text-anchor": "end" }, `事件 events ${fmt(a.tree_size)}`));
    // anchored sizes, oldest shown first, then the log's size now (dashed: not anchored yet)
    const cps = a.checkpoints.slice().reverse();
    const top = 58, plotH = H - top - 8;
    const points = [...cps.map((c) => [c.tree_size, c]), [a.tree_size, null]];
    if (!cps.length || cps[0].index === 0) points.unshift([0, null]);
    const max = Math.max(...points.map(([v]) => v), 1);
    const x = (i) => left + (i / Math.max(1, points.length - 1)) * plotW;
    const y = (v) => top + plotH - (v / max) * plotH;
    svg.append(s("line", { class: "grid-line", x1: left, x2: W - right, y1: top + plotH, y2: top + plotH }));
    const last = points.length - 1;
    let d = "";
    points.slice(0, last).forEach(([v], i) => {
      d += i ? `H${x(i).toFixed(1)}V${y(v).toFixed(1)}` : `M${x(0).toFixed(1)},${y(v).toFixed(1)}`;
    });
    svg.append(s("path", { d, fill: "none", stroke: "#15803d", "stroke-width": 2 }));
    const prev = points[last - 1] ? points[last - 1][0] : 0;
    svg.append(
      s("path", {
        d: `M${x(last - 1).toFixed(1)},${y(prev).toFixed(1)}H${x(last).toFixed(1)}V${y(a.tree_size).toFixed(1)}`,
        fill: "none",
        stroke: "#94a3b8",
        "stroke-width": 2,
        "stroke-dasharray": "4 3",
      }),
    );
    points.forEach(([v, c], i) => {
      if (!c) return;
      const dot = s("circle", { cx: x(i), cy: y(v), r: 3.5, fill: "#15803d", "data-index": c.index, "data-value": v });
      dot.append(s("title", {}, `checkpoint #${c.index}: ${fmt(v)} events, block ${fmt(c.block)}, ${when(c.anchored_at)}`));
      svg.append(dot);
    });
    svg.append(s("circle", { cx: x(last), cy: y(a.tree_size), r: 3.5, fill: "#94a3b8" }, s("title", {}, `now: ${fmt(a.tree_size)} events`)));
    return svg;
  }

  function renderAudit(a) {
    const [label, cls] = HEALTH[a.health] || [a.health, ""];
    const hb = $("audit-health");
    hb.textContent = label;
    hb.className = `badge ${cls}`;
    setText("kpi-audit", fmt(a.tree_size));
    setText("kpi-audit-note", `anchored ${fmt(a.anchored_size)} · ${label}`);
    $("kpi-audit").parentElement.className = `card kpi ${cls}`;
    setText("audit-tree-size", fmt(a.tree_size));
    setText("audit-anchored", `${fmt(a.anchored_size)} (${fmt(a.unanchored)} pending)`);
    setText("audit-checkpoint-count", fmt(a.checkpoint_count));
    const last = a.checkpoints[0];
    setText("audit-last", last ? `${age(last.age_seconds)} ago` : "never");
    setText("audit-error", a.last_error ? `Anchoring: ${a.last_error}` : "");
    $("audit-gauge").replaceChildren(auditGauge(a));
    fill(
      $("checkpoints").tBodies[0],
      a.checkpoints.map((c) =>
        h(
          "tr",
          { "data-index": c.index },
          h("td", { class: "mono" }, c.index),
          h("td", { class: "num", "data-col": "tree-size" }, fmt(c.tree_size)),
          h("td", { class: "mono", title: c.root }, short(c.root, 14)),
          h("td", { class: "num" }, fmt(c.block)),
          h("td", { class: "nowrap" }, stamp(c.anchored_at)),
        ),
      ),
      5,
    );
  }

  function age(seconds) {
    if (seconds < 90) return `${seconds} s`;
    if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
    return `${(seconds / 3600).toFixed(1)} h`;
  }

  function renderSync(sy) {
    const maxLag = Math.max(0, ...sy.peers.map((p) => p.lag_blocks));
    setText("kpi-lag", `${fmt(maxLag)} ${maxLag === 1 ? "block" : "blocks"}`);
    const behind = sy.peers.filter((p) => p.state !== "current").length;
    setText("kpi-lag-note", behind ? `${behind} of ${sy.peers.length} peers behind` : `all ${sy.peers.length} peers current · 已同步`);
    $("kpi-lag").parentElement.className = `card kpi ${behind ? "warn" : "ok"}`;
    setText(
      "sync-note",
      `sync cursor block ${fmt(sy.sync_block)} · index ${fmt(sy.index_block)} · own records ${fmt(sy.own_records)} (on ledger ${fmt(sy.own_on_ledger)})`,
    );
    fill(
      $("sync").tBodies[0],
      sy.peers.map((p) =>
        h(
          "tr",
          { "data-peer": p.short },
          h("td", {}, h("strong", {}, p.name_zh), " ", h("span", { class: "muted mono" }, p.short)),
          h("td", { class: "num", "data-col": "ledger" }, fmt(p.ledger_records)),
          h("td", { class: "num", "data-col": "copies" }, fmt(p.copies)),
          h("td", { class: "num", "data-col": "missing" }, fmt(p.missing_content)),
          h("td", { class: "num", "data-col": "pending" }, fmt(p.pending_events)),
          h("td", { class: "num", "data-col": "lag" }, fmt(p.lag_blocks)),
          h("td", {}, p.state === "current" ? badge("已同步 current", "ok") : badge("滞后 behind", "warn")),
        ),
      ),
      7,
    );
  }

  function typeBadge(e) {
    if (e.kind === "evaluation") return badge("评价 evaluation", "eval");
    const [zh] = LIST_TYPE[e.list_type] || [e.list_type];
    return badge(`${zh} ${e.list_type}`, e.list_type);
  }

  function renderActivity(a) {
    $("chart-activity").replaceChildren(activityChart(a.buckets));
    fill(
      $("recent-publications").tBodies[0],
      a.publications.map((e) =>
        h(
          "tr",
          { "data-record": e.record_id },
          h("td", { class: "num" }, fmt(e.block)),
          h("td", { class: "nowrap" }, stamp(e.time)),
          h("td", { class: "mono" }, e.owner),
          h("td", {}, typeBadge(e)),
          h("td", {}, e.domain_zh),
          h("td", { class: "mono", title: e.record_id }, short(e.record_id)),
        ),
      ),
      6,
    );
    fill(
      $("recent-changes").tBodies[0],
      a.changes.map((e) =>
        h(
          "tr",
          { "data-record": e.record_id },
          h("td", { class: "num" }, fmt(e.block)),
          h("td", { class: "nowrap" }, stamp(e.time)),
          h("td", { class: "mono" }, e.owner),
          h("td", { class: "nowrap" }, EVENTS[e.event] || e.event, e.by ? ` by ${e.by}` : ""),
          h("td", {}, e.status ? statusLabel(e.kind, e.status) : "–"),
          h("td", { class: "mono", title: e.record_id }, short(e.record_id)),
        ),
      ),
      6,
    );
  }

  // -- loading ----------------------------------------------------------------------------------

  let domainNames = {};
  let timer = null;

  async function load() {
    if (!token()) return signIn("");
    document.body.dataset.state = "loading";
    let session;
    try {
      session = (await api("/console/api/session")).body;
    } catch (err) {
      return failed(err);
    }
    renderSession(session);
    show("console");
    try {
      const [consortium, counts, sync, activity, audit] = await Promise.all(
        ["consortium", "counts", "sync", "activity?limit=10", "audit"].map((p) => api(`/console/api/${p}`)),
      );
      domainNames = Object.fromEntries(counts.body.domains.map((d) => [d.domain, d.name_zh]));
      renderConsortium(consortium.body);
      renderCounts(counts.body);
      renderSync(sync.body);
      renderActivity(activity.body);
      renderAudit(audit.body);
      setText("load-error", "");
      setText("as-of", `As of ${new Date().toISOString().slice(0, 19).replace("T", " ")} UTC · index block ${fmt(counts.body.index_block)}`);
      document.body.dataset.state = "ready";
    } catch (err) {
      failed(err);
    }
  }

  function failed(err) {
    if (err instanceof ApiError && err.status === 401) return signIn(`The token was refused: ${err.message}`);
    if (err instanceof ApiError && err.status === 403) return refused(err.message);
    setText("load-error", `Could not load: ${err.message}`);
    document.body.dataset.state = "error";
  }

  // -- subject lookup ---------------------------------------------------------------------------

  function details(item) {
    const r = item.record;
    if (!r) return h("span", { class: "muted" }, item.content === "withdrawn" ? "不再共享 no longer shared" : "尚未同步 not synced");
    if (item.kind === "evaluation") return `等级 grade ${r.grade} · scheme ${r.scheme_id}${r.evaluated_on ? ` · ${r.evaluated_on}` : ""}`;
    return h("span", {}, r.reason || "", h("br"), h("span", { class: "muted" }, [r.authority_name, r.decided_on].filter(Boolean).join(" · ")));
  }

  async function lookup(event) {
    event.preventDefault();
    const subject = $("lookup-subject").value.trim();
    const params = new URLSearchParams({ purpose: $("lookup-purpose").value.trim(), authorisation: $("lookup-authorisation").value.trim() });
    setText("lookup-error", "");
    $("lookup-submit").disabled = true;
    document.body.dataset.lookup = "pending";
    try {
      const { body, audit } = await api(`/v1/subjects/${encodeURIComponent(subject)}/entries?${params}`);
      const items = [...body.entries, ...body.evaluations];
      setText(
        "lookup-summary",
        `${body.entries.length} list entries, ${body.evaluations.length} evaluations · 名单 ${body.entries.length} 条，评价 ${body.evaluations.length} 条 · index block ${fmt(body.as_of_block)} · audit event #${audit}`,
      );
      fill(
        $("lookup-table").tBodies[0],
        items.map((it) => {
          const r = it.record || {};
          return h(
            "tr",
            { "data-entry-id": it.entry_id },
            h("td", { class: "mono" }, it.owner),
            h("td", {}, typeBadge(it)),
            h("td", {}, domainNames[it.domain] || it.domain),
            h("td", {}, statusLabel(it.kind, it.status)),
            h("td", { class: "num" }, it.version),
            h("td", {}, r.subject_name || "–"),
            h("td", {}, details(it)),
            h("td", {}, r.valid_until || (it.valid_until ? when(new Date(it.valid_until * 1000).toISOString().slice(0, 19) + "Z") : "长期 open")),
            h("td", {}, badge(it.content, it.content === "not_synced" ? "warn" : "")),
          );
        }),
        9,
      );
      $("lookup-results").hidden = false;
      document.body.dataset.lookup = "done";
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return signIn(`The token was refused: ${err.message}`);
      setText("lookup-error", err.message);
      $("lookup-results").hidden = true;
      document.body.dataset.lookup = "error";
    } finally {
      $("lookup-submit").disabled = false;
    }
  }

  // -- helpers for axes ------------------------------------------------------------------------

  function niceMax(v) {
    const p = 10 ** Math.floor(Math.log10(v));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  function ticks(max) {
    const out = [];
    for (let i = 0; i <= 4; i++) out.push((max * i) / 4);
    return out.filter((t) => Number.isInteger(t));
  }

  // -- start ------------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    takeFragmentToken();
    identify();
    $("token-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const value = $("token-input").value.trim();
      if (!value) return;
      sessionStorage.setItem(TOKEN_KEY, value);
      $("token-input").value = "";
      load();
    });
    $("refresh").addEventListener("click", load);
    for (const id of ["sign-out", "refused-sign-out"]) $(id).addEventListener("click", () => signIn(""));
    $("lookup-form").addEventListener("submit", lookup);
    $("auto-refresh").addEventListener("change", (e) => {
      clearInterval(timer);
      timer = e.target.checked ? setInterval(load, REFRESH_MS) : null;
    });
    // a new token pasted into the address bar of an open console
    window.addEventListener("hashchange", () => {
      if (/token=/.test(location.hash)) {
        takeFragmentToken();
        load();
      }
    });
    load();
  });
})();
