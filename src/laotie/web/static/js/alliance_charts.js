// The creator's commission per day (ECharts, from the JSON the chart element carries; its series
// names come translated in the element's data-label-* attributes).
const echarts = window.echarts;
const el = document.getElementById("earnings-chart");
if (echarts && el) {
  const d = JSON.parse(el.dataset.chart);
  const chart = echarts.init(el, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    grid: { left: 44, right: 12, top: 30, bottom: 28 },
    tooltip: { trigger: "axis", valueFormatter: (v) => `¥${Number(v).toFixed(2)}` },
    legend: { top: 0, textStyle: { fontSize: 11 } },
    xAxis: { type: "category", data: d.days, axisLabel: { fontSize: 10, hideOverlap: true } },
    yAxis: { type: "value", axisLabel: { fontSize: 10 } },
    series: [
      { name: el.dataset.labelEstimated, type: "bar", data: d.estimated, color: "#fac858" },
      { name: el.dataset.labelSettled, type: "bar", data: d.settled, color: "#14a37f" },
      { name: el.dataset.labelReversed, type: "bar", data: d.reversed, color: "#fe3666" },
    ],
  });
  window.addEventListener("resize", () => chart.resize());
}
