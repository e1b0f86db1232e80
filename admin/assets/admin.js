// AIStudio admin console: live counts over server-sent events, the alert for queues with due
// jobs and no live consumer redrawn from them, and the queue-depth sparkline. Everything else
// works without JavaScript.
"use strict";

(function () {
  const live = document.getElementById("live");
  if (!live || !window.EventSource) return;
  const depth = document.getElementById("depth-chart");
  const alerts = document.getElementById("queue-alerts");
  let shownAlerts = null;
  const samples = [];
  const MAX_SAMPLES = 150;
  const SVG = "http://www.w3.org/2000/svg";

  function setCount(key, value) {
    document.querySelectorAll('[data-count="' + key + '"]').forEach(function (el) {
      if (el.textContent !== String(value)) {
        el.textContent = String(value);
        el.classList.add("changed");
      }
    });
  }

  // The same words as the server renders (admin/src/pages/queue_alerts.rs). The region is
  // rewritten only when what it says changes, so screen readers announce each change once.
  function drawAlerts(consumers, orphanAfter) {
    if (!alerts) return;
    const unattended = consumers.filter(function (c) { return c.unattended; });
    const key = JSON.stringify(unattended.map(function (c) { return [c.queue, c.due]; })) + orphanAfter;
    if (shownAlerts === null) shownAlerts = JSON.stringify(
      Array.prototype.map.call(alerts.querySelectorAll("[data-queue]"), function (p) {
        return [p.dataset.queue, Number(p.dataset.due)];
      })) + orphanAfter;
    if (key === shownAlerts) return;
    shownAlerts = key;
    while (alerts.firstChild) alerts.removeChild(alerts.firstChild);
    unattended.forEach(function (c) {
      const line = document.createElement("p");
      line.className = "alert-item";
      line.dataset.queue = c.queue;
      line.dataset.due = String(c.due);
      const title = document.createElement("strong");
      title.textContent = "No live consumer on " + c.queue + ":";
      const due = c.due === 1
        ? "1 job is due and nothing will take it"
        : c.due + " jobs are due and nothing will take them";
      const link = document.createElement("a");
      link.href = "/admin/workers#consumers-" + c.queue;
      link.textContent = "Consumers of " + c.queue;
      line.append(title, " " + due + " (no consumer heartbeated in the last " +
        orphanAfter + " s). ", link);
      alerts.appendChild(line);
    });
  }

  function drawDepth() {
    if (!depth || samples.length < 2) return;
    const w = 600, h = 120, pad = 20;
    const max = Math.max(1, ...samples.map(function (s) { return s.depth; }));
    const points = samples.map(function (s, i) {
      const x = pad + (i * (w - 2 * pad)) / (MAX_SAMPLES - 1);
      const y = h - pad - (s.depth * (h - 2 * pad)) / max;
      return x.toFixed(1) + "," + y.toFixed(1);
    }).join(" ");
    while (depth.firstChild) depth.removeChild(depth.firstChild);
    const axis = document.createElementNS(SVG, "line");
    axis.setAttribute("class", "axis");
    axis.setAttribute("x1", pad); axis.setAttribute("x2", w - pad);
    axis.setAttribute("y1", h - pad); axis.setAttribute("y2", h - pad);
    depth.appendChild(axis);
    const line = document.createElementNS(SVG, "polyline");
    line.setAttribute("class", "depth");
    line.setAttribute("points", points);
    depth.appendChild(line);
    const label = document.createElementNS(SVG, "text");
    label.setAttribute("x", pad); label.setAttribute("y", 12);
    label.textContent = "max " + max + " jobs waiting (scheduled + queued + running)";
    depth.appendChild(label);
  }

  const source = new EventSource("/admin/overview/stream");
  source.addEventListener("counts", function (event) {
    const data = JSON.parse(event.data);
    let total = 0;
    data.queues.forEach(function (q) {
      ["scheduled", "retrying", "queued", "running", "done", "failed", "dead"].forEach(function (state) {
        setCount(q.queue + ":" + state, q[state]);
      });
      total += q.scheduled + q.retrying + q.queued + q.running;
    });
    data.consumers.forEach(function (c) {
      setCount(c.queue + ":due", c.due);
      setCount(c.queue + ":live", c.live);
      document.querySelectorAll('#queue-counts tr[data-queue="' + c.queue + '"]').forEach(function (row) {
        row.classList.toggle("unattended", c.unattended);
      });
    });
    drawAlerts(data.consumers, data.orphan_after_secs);
    Object.keys(data.posts).forEach(function (key) { setCount("posts:" + key, data.posts[key]); });
    samples.push({ depth: total });
    if (samples.length > MAX_SAMPLES) samples.shift();
    drawDepth();
    live.dataset.state = "on";
    live.textContent = "Live · updated " + new Date(data.at).toLocaleTimeString();
  });
  source.onerror = function () {
    live.dataset.state = "off";
    live.textContent = "Live updates interrupted; reconnecting…";
  };
})();
