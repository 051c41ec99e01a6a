/* netcron UI behaviour: local times, schedule editor niceties, log tail scrolling, the dashboard chart. */
(function () {
  "use strict";
  var viewerZone = (Intl.DateTimeFormat().resolvedOptions().timeZone) || "UTC";
  var formatter = new Intl.DateTimeFormat("en-GB", {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    hourCycle: "h23", timeZoneName: "short", timeZone: viewerZone
  });

  function isoLike(date) {
    var p = {};
    formatter.formatToParts(date).forEach(function (part) { p[part.type] = part.value; });
    return p.year + "-" + p.month + "-" + p.day + " " + p.hour + ":" + p.minute + ":" + p.second + " " + (p.timeZoneName || "");
  }

  function localize(root) {
    root.querySelectorAll("time[data-local]").forEach(function (el) {
      if (el.dataset.done) return;
      var date = new Date(el.getAttribute("datetime"));
      if (isNaN(date)) return;
      var text = isoLike(date);
      el.textContent = el.dataset.local === "time" ? text.slice(11, 19) : text;
      el.dataset.done = "1";
    });
    root.querySelectorAll("[data-viewer-zone]").forEach(function (el) { el.textContent = viewerZone; });
  }

  function scheduleEditor(root) {
    var form = root.querySelector("form[data-schedule-form]");
    if (!form || form.dataset.ready) return;
    form.dataset.ready = "1";
    function showKind() {
      var checked = form.querySelector("input[name=kind]:checked");
      var kind = checked ? checked.value : "cron";
      form.querySelectorAll("[data-kind-field]").forEach(function (el) {
        el.hidden = el.getAttribute("data-kind-field").split(" ").indexOf(kind) === -1;
      });
    }
    form.addEventListener("change", function (e) { if (e.target.name === "kind") showKind(); });
    showKind();
    var useMine = form.querySelector("[data-use-my-zone]");
    if (useMine) {
      useMine.textContent = "Use my zone (" + viewerZone + ")";
      useMine.addEventListener("click", function () {
        var input = form.querySelector("input[name=timezone]");
        input.value = viewerZone;
        input.dispatchEvent(new Event("input", { bubbles: true }));
      });
    }
  }

  function cssVar(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }

  function chart(root) {
    var holder = root.querySelector("#runs-chart");
    var dataEl = document.getElementById("chart-data");
    if (!holder || !dataEl || !window.uPlot || holder.dataset.ready) return;
    holder.dataset.ready = "1";
    var data = JSON.parse(dataEl.textContent);
    // Stacked bars: each series is drawn from 0 to its cumulative height, tallest first.
    var order = [["completed", "--ok"], ["failed", "--bad"], ["cancelled", "--warn"], ["running", "--run"], ["pending", "--idle"]];
    var raw = order.map(function (o) { return data.series[o[0]] || []; });
    var cumulative = [], running = data.hours.map(function () { return 0; });
    raw.forEach(function (values) {
      running = running.map(function (v, i) { return v + (values[i] || 0); });
      cumulative.push(running.slice());
    });
    var bars = uPlot.paths.bars({ size: [0.75, 40], align: 0 });
    var series = [{ label: "hour", value: function (u, v) { return v == null ? "—" : new Date(v * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); } }];
    var columns = [data.hours];
    for (var i = order.length - 1; i >= 0; i--) {
      (function (idx) {
        var colour = cssVar(order[idx][1]);
        series.push({
          label: order[idx][0], stroke: colour, fill: colour, width: 0, paths: bars, points: { show: false },
          value: function (u, v, si, di) { return di == null ? "—" : String(raw[idx][di] || 0); }
        });
        columns.push(cumulative[idx]);
      })(i);
    }
    var axisColour = cssVar("--muted"), grid = cssVar("--line");
    function size() { return { width: Math.max(280, holder.clientWidth), height: 220 }; }
    var plot = new uPlot(Object.assign(size(), {
      series: series,
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(4, max)]; } } },
      axes: [
        { stroke: axisColour, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        { stroke: axisColour, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 40 }
      ],
      legend: { live: true },
      cursor: { points: { show: false } }
    }), columns, holder);
    window.addEventListener("resize", function () { plot.setSize(size()); });
  }

  function stickToBottom(list) {
    return list && list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  }

  var logWasAtBottom = true;
  document.addEventListener("htmx:beforeRequest", function () {
    logWasAtBottom = stickToBottom(document.getElementById("log-lines"));
  });
  document.addEventListener("htmx:oobAfterSwap", function (e) {
    var list = document.getElementById("log-lines");
    if (list && logWasAtBottom) list.scrollTop = list.scrollHeight;
    localize(document);
  });

  function init(root) {
    localize(root);
    scheduleEditor(root);
    chart(root);
  }

  // Polls marked data-poll-when-visible skip while the tab is hidden. Not an hx-trigger filter
  // ("[document.visibilityState ...]"): htmx evaluates those with Function(), which the CSP forbids.
  document.addEventListener("htmx:confirm", function (event) {
    if (document.visibilityState === "hidden" && event.detail.elt.hasAttribute("data-poll-when-visible")) {
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.getElementById("log-lines");
    if (list) list.scrollTop = list.scrollHeight;
    if (window.htmx) {
      htmx.onLoad(init);
    } else {
      init(document);
    }
  });
})();
