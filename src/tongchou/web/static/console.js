/* 统筹控制台: charts from their data-option JSON (no inline script, see the CSP; htmx drops script tags it
   swaps in), CSRF header on HTMX requests. */
(function () {
  "use strict";
  var NUMBER = new Intl.NumberFormat("zh-CN", { maximumFractionDigits: 2 });
  function thousands(value) {
    var n = Number(value);
    return isNaN(n) ? value : NUMBER.format(n);
  }
  // every value axis, tooltip and bar label with thousands separators (a JSON option cannot carry a function)
  function withNumberFormat(option) {
    [].concat(option.xAxis || [], option.yAxis || []).forEach(function (axis) {
      if (axis.type === "value") { axis.axisLabel = Object.assign({}, axis.axisLabel, { formatter: thousands }); }
    });
    if (option.tooltip) { option.tooltip.valueFormatter = thousands; }
    (option.series || []).forEach(function (series) {
      if (series.label) { series.label.formatter = function (p) { return thousands(p.value); }; }
    });
    return option;
  }
  function initCharts(root) {
    if (!window.echarts || !root.querySelectorAll) { return; }
    root.querySelectorAll("[data-chart]").forEach(function (element) {
      if (element.getAttribute("data-ready")) { return; }
      var option = element.getAttribute("data-option");
      if (!option) { return; }
      var chart = window.echarts.init(element, null, { renderer: "canvas" });
      chart.setOption(withNumberFormat(JSON.parse(option)));
      element.setAttribute("data-ready", "1");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { initCharts(document); });
  // a print button (no inline script under the CSP)
  document.addEventListener("click", function (event) {
    if (event.target && event.target.closest && event.target.closest("[data-print]")) { window.print(); }
  });
  document.addEventListener("htmx:afterSettle", function (event) { initCharts(event.target || document); });
  // a refused form (422) or a duplicate (409) is a page to show, not an error to drop silently
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 422 || status === 409) { event.detail.shouldSwap = true; event.detail.isError = false; }
  });
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) { event.detail.headers["X-CSRF-Token"] = meta.content; }
  });
})();
