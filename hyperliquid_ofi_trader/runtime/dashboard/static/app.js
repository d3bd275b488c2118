// The hlofi dashboard: one snapshot stream (server-sent events) drives tables and charts.
// Text from the journal is inserted with textContent only (never as HTML).
"use strict";

const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
const $ = (id) => document.getElementById(id);
const COLORS = ["#58a6ff", "#3fb950", "#d29922", "#f85149", "#bc8cff", "#39c5cf", "#ff7b72"];
const charts = [];
let lastState = "";

// ---------------------------------------------------------------- formatting

function num(x, digits = 2) {
  if (x === null || x === undefined || Number.isNaN(x)) return "-";
  return Number(x).toLocaleString("en-US", { minimumFractionDigits: digits,
                                             maximumFractionDigits: digits });
}
function signed(x, digits = 2) {
  return x === null || x === undefined ? "-" : (x > 0 ? "+" : "") + num(x, digits);
}
function utc(ns) {
  return ns ? new Date(ns / 1e6).toISOString().slice(11, 23) : "-";
}
function duration(s) {
  s = Math.max(0, Math.round(s));
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}
function decisionCell(id) {
  const td = document.createElement("td");
  if (id === null || id === undefined) { td.textContent = "-"; return td; }
  const a = document.createElement("a");
  a.className = "decision";
  a.textContent = `#${id}`;
  a.dataset.decision = String(id);
  a.addEventListener("click", () => explain(`/api/explain/${id}`, `decision ${id}`));
  td.appendChild(a);
  return td;
}
function fillRows(tableId, rows, build) {
  const body = $(tableId).querySelector("tbody");
  const frag = document.createDocumentFragment();
  for (const row of rows || []) {
    const tr = document.createElement("tr");
    for (const td of build(row)) tr.appendChild(td);
    frag.appendChild(tr);
  }
  body.replaceChildren(frag);
}

// ---------------------------------------------------------------- tables

function renderHeader(s) {
  const st = s.state || {};
  const state = st.trading_state || "STARTING";
  $("state").textContent = state;
  $("state").dataset.state = state;
  $("cause").textContent = st.cause ? `cause: ${st.cause}` : "";
  const run = s.run || {};
  $("venue").textContent = run.venue ? `${run.venue} · ${run.network} · ${run.account}` : "";
  $("note").textContent = run.note || "";
  $("synthetic").hidden = !run.synthetic;
  if (run.elapsed_s !== undefined) {
    const left = run.duration_s ? ` · ${duration(run.duration_s - run.elapsed_s)} left` : "";
    $("clock").textContent = `elapsed ${duration(run.elapsed_s)}${left}` +
      ` · events ${num(st.events || 0, 0)} · decisions ${num(st.decisions || 0, 0)}`;
  }
  if (state !== lastState) { lastState = state; document.title = `hlofi · ${state}`; }
}

function renderMarkets(s) {
  const rows = Object.entries(s.markets || {}).map(([coin, m]) => ({ coin, ...m }));
  fillRows("markets", rows, (m) => [
    cell(m.coin), cell(`${num(m.bid, 2)} × ${num(m.bid_sz, 4)}`),
    cell(`${num(m.ask, 2)} × ${num(m.ask_sz, 4)}`), cell(num(m.mid, 2)),
    cell(num(m.spread_bps, 2)),
    cell(Object.entries(m.signals || {}).map(([k, v]) => `${k} ${signed(v, 2)}`).join("  ")
         || "-"),
    cell(m.regime ? `${m.regime.liquidity}/${m.regime.volatility}` +
         (m.regime.liquidation ? " LIQUIDATION" : "") +
         (m.regime.tradable ? "" : ` (not tradable: ${m.regime.reasons.join(", ")})`) : "-",
         "reason"),
  ]);
}

function renderPositions(s) {
  const p = s.pnl || {};
  const figures = $("pnl-figures");
  figures.replaceChildren();
  for (const [label, value] of [["gross", p.gross], ["fees", p.fees], ["net", p.net],
                                ["exposure", p.exposure_usd]]) {
    const span = document.createElement("span");
    span.textContent = `${label} `;
    const b = document.createElement("b");
    b.textContent = label === "fees" || label === "exposure" ? num(value) : signed(value);
    if (label !== "fees" && label !== "exposure" && value) b.className = value > 0 ? "pos" : "neg";
    b.id = `pnl-${label}`;
    span.appendChild(b);
    figures.appendChild(span);
  }
  fillRows("positions", s.positions, (r) => [
    cell(r.coin), cell(signed(r.size, 4)), cell(num(r.entry_px)), cell(num(r.mark)),
    cell(num(r.notional)), cell(signed(r.gross)), cell(num(r.fees, 4)), cell(signed(r.net)),
    cell(String(r.fills)),
  ]);
}

function renderOrders(s) {
  fillRows("open-orders", s.open_orders, (o) => [
    decisionCell(o.decision_id), cell(o.coin), cell(o.side, o.side === "buy" ? "pos" : "neg"),
    cell(num(o.price)), cell(num(o.size, 4)), cell(o.tif), cell(o.state), cell(o.cloid, "dim"),
  ]);
  fillRows("fills", s.fills, (f) => [
    decisionCell(f.decision_id), cell(f.coin), cell(f.side, f.side === "buy" ? "pos" : "neg"),
    cell(num(f.price)), cell(num(f.size, 4)), cell(num(f.fee, 4)), cell(f.liquidity),
    cell(f.cloid || "-", "dim"),
  ]);
  fillRows("orders", s.orders, (o) => [
    decisionCell(o.decision_id), cell(o.coin), cell(o.side, o.side === "buy" ? "pos" : "neg"),
    cell(num(o.price)), cell(num(o.size, 4)), cell(num(o.filled, 4)), cell(o.tif),
    cell(o.state + (o.last_error ? ` (${o.last_error})` : ""), "reason"),
  ]);
  fillRows("decisions", s.decisions, (d) => [
    decisionCell(d.id), cell(d.coin), cell(d.outcome), cell(d.reason, "reason"),
    cell(signed(d.alpha, 3)),
    cell(Object.entries(d.economics || {}).map(([k, v]) => `${k} ${num(v, 2)}`).join("  ")
         || "-", "reason"),
  ]);
}

function renderHealth(s) {
  const feed = s.feed || {};
  const unhealthy = new Set(feed.unhealthy || []);
  const rows = Object.entries(feed.latency_ms || {}).map(([coin, v]) => ({ coin, ...v }));
  fillRows("feed", rows, (r) => [
    cell(r.coin), cell([...unhealthy].some((u) => u.includes(r.coin)) ? "STALE" : "ok"),
    cell(num(r.p50, 1)), cell(num(r.p99, 1)),
  ]);
  const extra = $("feed").querySelector("tbody");
  for (const u of unhealthy) {
    if (!rows.some((r) => u.includes(r.coin))) {
      const tr = document.createElement("tr");
      tr.append(cell(u), cell("STALE", "neg"), cell("-"), cell("-"));
      extra.appendChild(tr);
    }
  }
  if (feed.pipeline_us && feed.pipeline_us.p50 !== undefined) {
    const tr = document.createElement("tr");
    tr.append(cell("pipeline (µs)"), cell("ok"), cell(num(feed.pipeline_us.p50, 0)),
              cell(num(feed.pipeline_us.p99, 0)));
    extra.appendChild(tr);
  }
  const ks = s.kill_switch || {};
  $("kill-switch").textContent = ks.fired ? `kill switch FIRED: ${ks.fired}` :
    "kill switch armed" + (Object.keys(ks.fires || {}).length ?
      ` · earlier triggers: ${Object.entries(ks.fires).map(([k, v]) => `${k}×${v}`).join(", ")}`
      : "");
  fillRows("state-changes", s.state_changes, (c) => [
    cell(utc(c.local_ns)), cell(`${c.from} → ${c.to}`), cell(c.trigger),
    cell(c.reason, "reason"),
  ]);
}

// ---------------------------------------------------------------- charts

// A chart plots named series taken from each history point; a series that appears later
// (a new coin, a new forecast field) rebuilds the chart with earlier points as gaps.
class Chart {
  // `scaleOf(name)` puts a series on its own y scale (e.g. one per coin's price).
  constructor(title, pick, scaleOf) {
    this.title = title; this.pick = pick; this.scaleOf = scaleOf || (() => "y");
    this.xs = []; this.series = new Map(); this.plot = null;
    this.box = document.createElement("div");
    this.box.className = "chart";
    this.box.dataset.chart = title;
    $("charts").appendChild(this.box);
  }
  push(point) {
    const values = this.pick(point);
    let rebuild = this.plot === null;
    for (const [name, v] of Object.entries(values)) {
      if (!this.series.has(name)) {
        this.series.set(name, new Array(this.xs.length).fill(null));
        rebuild = true;
      }
    }
    this.xs.push(point.t);
    for (const [name, arr] of this.series) arr.push(values[name] ?? null);
    if (this.xs.length > 1200) { this.xs.shift(); for (const a of this.series.values()) a.shift(); }
    if (rebuild) this.build(); else this.plot.setData(this.data());
  }
  data() { return [this.xs, ...this.series.values()]; }
  build() {
    if (this.plot) this.plot.destroy();
    const names = [...this.series.keys()];
    const scaleNames = new Set(names.map((n) => this.scaleOf(n)));
    const axes = [{ stroke: "#8a96a3", grid: { stroke: "#2a333d" } }];
    let side = 3;
    for (const sc of scaleNames) {
      axes.push({ scale: sc, side, stroke: "#8a96a3", grid: { show: side === 3, stroke: "#2a333d" },
                  size: 60 });
      side = 1;
    }
    const width = Math.max(300, this.box.clientWidth - 16);
    this.plot = new uPlot({
      title: this.title, width, height: 200, axes,
      scales: { x: { time: true } },
      series: [{}, ...names.map((n, i) => ({ label: n, scale: this.scaleOf(n),
                                               stroke: COLORS[i % COLORS.length], width: 1.5,
                                               spanGaps: true }))],
    }, this.data(), this.box);
  }
  get points() { return this.xs.length; }
}

function prefixed(obj, prefix) {
  const out = {};
  for (const [k, v] of Object.entries(obj || {})) out[`${prefix}${k}`] = v;
  return out;
}

function setupCharts() {
  charts.push(new Chart("mid price", (p) => prefixed(p.mid, ""), (coin) => coin));
  charts.push(new Chart("spread (bps)", (p) => prefixed(p.spread_bps, "")));
  charts.push(new Chart("signals", (p) => p.signals || {}));
  charts.push(new Chart("alpha, forecast and expected cost (bps)",
    (p) => ({ alpha: p.alpha, ...p.economics }), (n) => (n === "alpha" ? "alpha" : "bps")));
  charts.push(new Chart("PnL (USD): gross, fees, net",
    (p) => ({ gross: p.gross, fees: p.fees, net: p.net })));
  charts.push(new Chart("position and exposure (USD)",
    (p) => ({ ...prefixed(p.position, "pos "), exposure: p.exposure_usd }),
    (n) => (n === "exposure" ? "usd" : "size")));
  charts.push(new Chart("feed latency p50 (ms)", (p) => prefixed(p.latency_p50_ms, "")));
  window.hlofiCharts = charts;  // for tests and the curious: point counts per chart
}

// ---------------------------------------------------------------- explain and control

async function explain(url, title) {
  $("explain-title").textContent = title;
  $("explain-text").textContent = "loading…";
  $("explain").showModal();
  const resp = await fetch(url);
  if (!resp.ok) { $("explain-text").textContent = await resp.text(); return; }
  const body = await resp.json();
  $("explain-title").textContent = `decision ${body.decision_id}`;
  $("explain-text").textContent = body.text;
}

function message(text, ok = false) {
  $("message").hidden = !text;
  $("message").className = ok ? "message ok" : "message";
  $("message").textContent = text || "";
}

async function control(command) {
  if (command === "kill" && !confirm("Halt the run now? Every order is cancelled.")) return;
  const resp = await fetch("/api/control", {
    method: "POST",
    headers: { "Authorization": `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ command, reason: `${command} button` }),
  });
  if (!resp.ok) { message(`${command} refused (${resp.status}): ${await resp.text()}`); return; }
  const answer = await resp.json();
  message(answer.acknowledged
    ? `${command} #${answer.seq}: ${answer.trading_state} ${answer.applied_after_s.toFixed(2)} s after the click`
    : `${command} #${answer.seq} written; the run has not answered yet`, answer.acknowledged);
}

function setupControls() {
  const can = token.length > 0;
  $("kill").disabled = !can;
  $("resume").disabled = !can;
  $("auth").textContent = can ? "control enabled" :
    "read-only: open the URL with #token=… printed at start to control";
  $("kill").addEventListener("click", () => control("kill"));
  $("resume").addEventListener("click", () => control("resume"));
}

// ---------------------------------------------------------------- wiring

function render(s) {
  renderHeader(s); renderMarkets(s); renderPositions(s); renderOrders(s); renderHealth(s);
}

async function main() {
  setupControls();
  setupCharts();
  const hist = await (await fetch("/api/history")).json();
  for (const point of hist.points) for (const c of charts) c.push(point);
  const stream = new EventSource("/api/stream");
  let lastT = hist.points.length ? hist.points[hist.points.length - 1].t : 0;
  stream.onmessage = (ev) => {
    const s = JSON.parse(ev.data);
    render(s);
    const t = s.t_ms / 1e3;
    if (s.markets && t > lastT) {
      lastT = t;
      const point = chartPoint(s);
      for (const c of charts) c.push(point);
    }
  };
  stream.onerror = () => message("stream interrupted (run ended?); retrying…");
  stream.onopen = () => message("");
}

function signalsOf(markets) {
  const traded = Object.entries(markets).filter(([, v]) => v.signals);
  const out = {};
  for (const [coin, v] of traded) {
    for (const [name, x] of Object.entries(v.signals)) {
      out[traded.length > 1 ? `${coin} ${name}` : name] = x;
    }
  }
  return out;
}

// Mirrors history.py's chart_point, so the streamed snapshots extend the history.
function chartPoint(s) {
  const m = s.markets || {}, pnl = s.pnl || {}, d = (s.decisions || [])[0];
  const pick = (key) => Object.fromEntries(Object.entries(m).map(([c, v]) => [c, v[key]]));
  return {
    t: s.t_ms / 1e3, mid: pick("mid"), spread_bps: pick("spread_bps"),
    alpha: (s.alpha || {}).alpha ?? null, signals: signalsOf(m),
    gross: pnl.gross, fees: pnl.fees, net: pnl.net,
    exposure_usd: pnl.exposure_usd,
    position: Object.fromEntries((s.positions || []).map((p) => [p.coin, p.size])),
    latency_p50_ms: Object.fromEntries(Object.entries((s.feed || {}).latency_ms || {})
      .map(([c, v]) => [c, v.p50])),
    economics: d ? d.economics : {},
  };
}

main();
