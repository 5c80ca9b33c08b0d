"use strict";
// The msm live view: a table fed by /api/events, trends drawn on canvases, writes by PUT.
(() => {
  const SPAN = 10 * 60 * 1000;          // the trend's time span, as the server keeps it
  const token = new URLSearchParams(location.search).get("token");
  const query = token ? "?token=" + encodeURIComponent(token) : "";
  const auth = token ? { Authorization: "Bearer " + token } : {};
  const tbody = document.querySelector("#vars tbody");
  const rows = [];                       // per variable: its cells, data and trend
  const visible = new Set();             // rows whose trend is on screen
  const dirty = new Set();               // rows whose trend needs a redraw
  let plotted = null;                    // the row in the big plot, if open
  let framed = false;
  // Time from a change on the server to the DOM showing it, in ms (for the benchmark).
  // `received`: the same, up to the event's arrival (before any DOM work).
  const stats = (window.msmStats = { updates: 0, latencies: [], received: [] });
  let pending = [];

  const api = (path, init = {}) =>
    fetch(path + query, { ...init, headers: { ...auth, ...(init.headers || {}) } });

  // Local time, HH:MM:SS.mmm (by hand: toLocaleTimeString is slow for 1,000 rows a second).
  const two = (n) => (n < 10 ? "0" : "") + n;
  const clock = (ms, millis = true) => {
    if (ms == null) return "";
    const d = new Date(ms);
    const hms = two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
    return millis ? hms + "." + String(d.getMilliseconds()).padStart(3, "0") : hms;
  };
  const num = (v) => (typeof v === "boolean" ? (v ? 1 : 0) : typeof v === "number" ? v : null);

  const seen = new IntersectionObserver((entries) => {
    for (const e of entries) {
      const r = rows[Number(e.target.dataset.i)];
      if (!r) continue;
      if (e.isIntersecting) { visible.add(r); dirty.add(r); schedule(); } else visible.delete(r);
    }
  });

  function cell(tr, cls, text) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    if (text != null) td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function makeRow(v, i) {
    const tr = document.createElement("tr");
    tr.dataset.name = v.name;
    tr.dataset.i = i;
    const r = { i, data: v, tr, trend: [] };
    cell(tr, "name", v.name);
    cell(tr, "area", v.area);
    cell(tr, "addr", String(v.address));
    cell(tr, "type", v.type);
    const val = cell(tr, "val");
    r.value = document.createElement("span");
    r.value.className = "v";
    val.appendChild(r.value);
    if (v.writable) {
      r.input = document.createElement("input");
      r.input.className = "write";
      r.input.placeholder = "new value";
      r.input.setAttribute("aria-label", "new value of " + v.name);
      r.input.addEventListener("keydown", (e) => { if (e.key === "Enter") write(r); });
      r.error = document.createElement("span");
      r.error.className = "error";
      val.append(r.input, r.error);
    }
    const q = cell(tr, "quality");
    r.quality = document.createElement("span");
    r.reason = document.createElement("span");
    r.reason.className = "reason";
    q.append(r.quality, r.reason);
    r.changed = cell(tr, "when");
    r.origin = cell(tr, "who");
    const t = cell(tr, "trend");
    if (v.numeric) {
      r.canvas = document.createElement("canvas");
      r.canvas.className = "spark";
      r.canvas.width = 140;
      r.canvas.height = 26;
      r.canvas.title = "click for a bigger plot";
      r.canvas.addEventListener("click", () => openPlot(r));
      // The sparkline's scale: its highest and lowest value, beside it.
      r.scale = document.createElement("span");
      r.scale.className = "scale";
      r.max = document.createElement("span");
      r.min = document.createElement("span");
      r.scale.append(r.max, r.min);
      t.append(r.canvas, r.scale);
      seen.observe(tr);
    }
    show(r, v);
    return r;
  }

  // Sets a node's text only when it differs: each write costs the browser a relayout.
  const put = (node, text) => { if (node.textContent !== text) node.textContent = text; };

  // Puts a row's live fields in its cells.
  function show(r, v) {
    Object.assign(r.data, v);
    put(r.value, v.text);
    put(r.quality, v.quality.replace("_", " "));
    const q = "q q-" + v.quality;
    if (r.quality.className !== q) r.quality.className = q;
    put(r.reason, v.reason || "");
    put(r.changed, clock(v.changed_ms));
    put(r.origin, v.origin || "");
  }

  function build(vars) {
    for (const r of rows) seen.unobserve(r.tr);
    rows.length = 0;
    visible.clear();
    const frag = document.createDocumentFragment();
    vars.forEach((v, i) => { const r = makeRow(v, i); rows.push(r); frag.appendChild(r.tr); });
    tbody.replaceChildren(frag);
  }

  function addPoint(r, t, v) {
    const x = num(v);
    if (x == null || t == null || !r.canvas) return;
    r.trend.push([t, x]);
    const oldest = t - SPAN;
    let k = 0;
    while (k < r.trend.length && r.trend[k][0] < oldest) k++;
    if (k) r.trend.splice(0, k);
    if (visible.has(r)) dirty.add(r);
  }

  function onRows(list) {
    const arrived = Date.now();
    for (const v of list) {
      const r = rows[v.i];
      if (!r) continue;
      const moved = v.changed_ms !== r.data.changed_ms;
      show(r, v);
      if (moved) {
        addPoint(r, v.changed_ms, v.value);
        pending.push(v.changed_ms);
        stats.received.push(arrived - v.changed_ms);
        if (plotted === r) drawPlot();
      }
    }
    schedule();
  }

  // One frame after updates: record when they reached the screen and redraw trends.
  function schedule() {
    if (framed) return;
    framed = true;
    requestAnimationFrame(() => {
      framed = false;
      const now = Date.now();
      for (const t of pending) {
        stats.latencies.push(now - t);
        stats.updates++;
      }
      for (const list of [stats.latencies, stats.received]) {
        if (list.length > 20000) list.splice(0, list.length - 20000);
      }
      pending = [];
      for (const r of dirty) if (visible.has(r)) spark(r);
      dirty.clear();
    });
  }

  // The lowest and highest value of `points`.
  function range(points) {
    let lo = Infinity, hi = -Infinity;
    for (const p of points) { if (p[1] < lo) lo = p[1]; if (p[1] > hi) hi = p[1]; }
    return [lo, hi];
  }

  // The plotted range: a flat line sits in the middle.
  function extent(points) {
    let [lo, hi] = range(points);
    if (lo === hi) { lo -= 1; hi += 1; }
    return [lo, hi];
  }

  // A number for an axis label: 6 significant digits at most.
  const label = (v) => Number(v.toPrecision(6)).toString();

  // Where a plot's time axis starts: its first point, at most SPAN ago.
  const since = (points, now) => Math.min(now - 1000, Math.max(now - SPAN, points.length ? points[0][0] : 0));

  // A step line of `points` from `from` to `now`, in the box (x, y, w, h).
  function line(ctx, points, x, y, w, h, from, now) {
    const [lo, hi] = extent(points);
    const px = (t) => x + ((t - from) / (now - from)) * w;
    const py = (v) => y + h - ((v - lo) / (hi - lo)) * h;
    ctx.beginPath();
    points.forEach((p, k) => {
      const X = Math.max(x, px(p[0])), Y = py(p[1]);
      if (k === 0) ctx.moveTo(X, Y); else { ctx.lineTo(X, py(points[k - 1][1])); ctx.lineTo(X, Y); }
    });
    if (points.length) ctx.lineTo(x + w, py(points[points.length - 1][1]));
    ctx.stroke();
    return [lo, hi];
  }

  function spark(r) {
    const c = r.canvas, ctx = c.getContext("2d");
    ctx.clearRect(0, 0, c.width, c.height);
    ctx.strokeStyle = "#0969da";
    ctx.lineWidth = 1.2;
    const now = Date.now();
    if (r.trend.length) line(ctx, r.trend, 1, 2, c.width - 2, c.height - 4, since(r.trend, now), now);
    const [lo, hi] = r.trend.length ? range(r.trend) : [null, null];
    const max = lo === null ? "" : label(hi), min = lo === null || lo === hi ? "" : label(lo);
    put(r.max, max);
    put(r.min, min);
    const title = lo === null ? "no points yet"
      : lo === hi ? "steady at " + max : "min " + label(lo) + ", max " + label(hi);
    const span = (now - since(r.trend, now)) / 1000;
    const tip = title + " over the last " +
      (span < 90 ? Math.round(span) + " s" : Math.round(span / 60) + " min") + "; click for a bigger plot";
    if (c.title !== tip) c.title = tip;
  }

  async function openPlot(r) {
    plotted = r;
    document.getElementById("plot-title").textContent = r.data.name + " (up to the last 10 minutes)";
    const dlg = document.getElementById("plot");
    document.getElementById("plot-canvas").width = Math.max(300, Math.min(900, window.innerWidth - 80));
    if (!dlg.open) dlg.showModal();
    try {
      const res = await api("/api/vars/" + encodeURIComponent(r.data.name) + "/trend");
      if (res.ok) r.trend = await res.json();
    } catch (e) { /* the live points will do */ }
    drawPlot();
  }

  function drawPlot() {
    if (!plotted) return;
    const c = document.getElementById("plot-canvas"), ctx = c.getContext("2d");
    const L = 70, T = 10, W = c.width - L - 40, H = c.height - T - 30, now = Date.now();
    ctx.clearRect(0, 0, c.width, c.height);
    ctx.font = "12px system-ui";
    ctx.fillStyle = "#5f6b76";
    ctx.strokeStyle = "#d8dde3";
    ctx.strokeRect(L, T, W, H);
    ctx.strokeStyle = "#0969da";
    ctx.lineWidth = 1.5;
    const from = since(plotted.trend, now);
    const [lo, hi] = plotted.trend.length ? line(ctx, plotted.trend, L, T, W, H, from, now) : [0, 1];
    ctx.textAlign = "right";
    for (let k = 0; k <= 4; k++) {
      const v = lo + ((hi - lo) * k) / 4;
      ctx.fillText(label(v), L - 6, T + H - (H * k) / 4 + 4);
    }
    ctx.textAlign = "center";
    for (let k = 0; k <= 5; k++) {
      const t = from + ((now - from) * k) / 5;
      ctx.fillText(clock(t, now - from < 10000), L + (W * k) / 5, T + H + 18);
    }
  }

  document.getElementById("plot-close").addEventListener("click", () => {
    plotted = null;
    document.getElementById("plot").close();
  });
  document.getElementById("plot").addEventListener("close", () => { plotted = null; });

  async function write(r) {
    const text = r.input.value;
    r.error.textContent = "";
    r.input.removeAttribute("aria-invalid");
    try {
      const res = await api("/api/vars/" + encodeURIComponent(r.data.name), {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ value: text }),
      });
      const body = await res.json();
      if (!res.ok) {
        r.error.textContent = body.error || res.statusText;
        r.input.setAttribute("aria-invalid", "true");
        return;
      }
      // The event stream brings the new value, its time and origin.
      r.input.value = "";
    } catch (e) {
      r.error.textContent = "not written: " + e;
      r.input.setAttribute("aria-invalid", "true");
    }
  }

  function onStatus(s) {
    const conn = document.getElementById("conn");
    const info = document.getElementById("info");
    if (s.role === "slave") {
      conn.textContent = "serving";
      conn.className = "conn conn-ok";
    } else {
      conn.textContent = s.state + (s.last_error && !s.connected ? ": " + s.last_error : "");
      conn.className = "conn " + (s.connected ? "conn-ok" : s.state === "connecting" ? "conn-wait" : "conn-bad");
    }
    const parts = [rows.length + " variables", s.writable ? "writable" : "read-only"];
    if (s.role === "master") parts.push(s.cycles + " cycles", s.reconnects + " reconnects");
    info.textContent = parts.join(" · ");
  }

  let trendsLoaded = false;
  async function loadTrends() {
    trendsLoaded = true;
    try {
      const res = await api("/api/trends");
      if (!res.ok) return;
      const all = await res.json();
      all.forEach((points, i) => {
        const r = rows[i];
        if (!r || !r.canvas) return;
        const last = r.trend.length ? r.trend[0][0] : Infinity;
        r.trend = points.filter((p) => p[0] < last).concat(r.trend);
        if (visible.has(r)) dirty.add(r);
      });
      schedule();
    } catch (e) { trendsLoaded = false; }
  }

  function connect() {
    const es = new EventSource("/api/events" + query);
    es.addEventListener("snapshot", (e) => {
      const snap = JSON.parse(e.data);
      const same = snap.vars.length === rows.length && snap.vars.every((v, i) => rows[i].data.name === v.name);
      if (same) snap.vars.forEach((v, i) => show(rows[i], v)); else build(snap.vars);
      onStatus(snap.status);
      if (!trendsLoaded) loadTrends();
    });
    es.addEventListener("rows", (e) => onRows(JSON.parse(e.data)));
    es.addEventListener("status", (e) => onStatus(JSON.parse(e.data)));
    es.onerror = async () => {
      const conn = document.getElementById("conn");
      conn.className = "conn conn-bad";
      conn.textContent = "lost the connection to msm (retrying)";
      // The browser retries by itself unless the server refused the stream.
      if (es.readyState !== EventSource.CLOSED) return;
      try {
        const res = await api("/api/status");
        const s = await res.json();
        if (!res.ok) conn.textContent = s.error || res.statusText;
        else if (s.clients >= s.max_clients) {
          conn.textContent = "msm serves its most live pages (" + s.max_clients +
            ") already: close another page of it; retrying";
        }
      } catch (e) { /* msm is gone: the message above stands */ }
      setTimeout(connect, 5000);
    };
  }

  // The time axis moves: redraw what is on screen now and then.
  setInterval(() => { for (const r of visible) dirty.add(r); schedule(); if (plotted) drawPlot(); }, 2000);
  connect();
})();
