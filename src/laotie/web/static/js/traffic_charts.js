// Traffic charts (ECharts, from the JSON each chart element carries): a creator's impressions per
// day, and the operator's exposure Gini against its target and shares by follower bracket.
// The words come translated from the page (data-texts); the English ones are for a page without them.
const echarts = window.echarts;
const pct = (v) => `${(v * 100).toFixed(1)}%`;

const builders = {
  "traffic-chart": (d, t) => ({
    grid: { left: 40, right: 16, top: 24, bottom: 28 }, tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: d.days }, yAxis: { type: "value", minInterval: 1 },
    series: [{ name: t.impressions || "Impressions", type: "bar", data: d.impressions, color: "#fe3666" }],
  }),
  "gini-chart": (d, t) => ({
    grid: { left: 44, right: 44, top: 30, bottom: 28 }, tooltip: { trigger: "axis" },
    legend: { top: 0, textStyle: { fontSize: 11 } },
    xAxis: { type: "category", data: d.days },
    yAxis: [{ type: "value", min: 0, max: 1, name: t.gini || "Gini" },
            { type: "value", min: 0, max: 1, name: t.new || "New", axisLabel: { formatter: pct } }],
    series: [
      { name: t.gini || "Gini", type: "line", data: d.gini, color: "#fe3666",
        // Inside the plot, above the line: at its default end the label sits on the right axis's labels.
        markLine: { symbol: "none", silent: true, data: [{ yAxis: d.target, name: t.target || "target" }], lineStyle: { type: "dashed" },
                    label: { position: "insideEndTop", fontSize: 10, formatter: (p) => `${p.name} ${p.value}` } } },
      { name: t.new_share || "New creators' share", type: "bar", yAxisIndex: 1, data: d.new_share, color: "#14a37f" },
    ],
  }),
  "bracket-chart": (d, t) => ({
    grid: { left: 44, right: 16, top: 30, bottom: 40 }, tooltip: { trigger: "axis", valueFormatter: pct },
    legend: { top: 0, textStyle: { fontSize: 11 } },
    xAxis: { type: "category", data: d.brackets, axisLabel: { fontSize: 10, interval: 0, rotate: 30 } },
    yAxis: { type: "value", axisLabel: { formatter: pct } },
    series: [
      { name: t.impressions || "Impressions", type: "bar", data: d.bracket_impressions, color: "#5470c6" },
      { name: t.gmv || "GMV", type: "bar", data: d.bracket_gmv, color: "#fac858" },
    ],
  }),
};

function draw() {
  if (!echarts) return;
  for (const [id, build] of Object.entries(builders)) {
    const el = document.getElementById(id);
    if (!el) continue;
    const chart = echarts.init(el);
    chart.setOption(build(JSON.parse(el.dataset.chart), JSON.parse(el.dataset.texts || "{}")));
    window.addEventListener("resize", () => chart.resize());
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
else draw();
