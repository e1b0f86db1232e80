// AIStudio admin console: live counts over server-sent events, and the queue-depth sparkline
// drawn from them. Everything else works without JavaScript.
"use strict";

(function () {
  const live = document.getElementById("live");
  if (!live || !window.EventSource) return;
  const depth = document.getElementById("depth-chart");
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
      ["scheduled", "retrying", "queued", "running", "done", "failed", "dead", "workers"].forEach(function (state) {
        setCount(q.queue + ":" + state, q[state]);
      });
      total += q.scheduled + q.retrying + q.queued + q.running;
    });
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
