// Live figures in the streamer console: a line chart (viewers, comments, likes) and bars
// (orders, paid GMV) per minute, drawn with ECharts from the JSON the fragment embeds.
// htmx replaces the fragment every 10 s while live; the old charts are disposed first so
// a long stream does not pile up chart instances. Series names come translated from the
// section's data-t-* attributes (the page's language), English when absent.
const echarts = window.echarts;
const lang = document.documentElement.lang || undefined;

function label(iso) {
  return new Date(iso).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
}

function base(data) {
  return {
    animation: false,
    grid: { left: 40, right: 44, top: 36, bottom: 28 },
    tooltip: { trigger: "axis" },
    legend: { top: 0, textStyle: { fontSize: 11 } },
    xAxis: { type: "category", data: data.minutes.map(label), axisLabel: { fontSize: 10, hideOverlap: true } },
  };
}

const builders = {
  audience: (data, t) => ({
    ...base(data),
    yAxis: { type: "value", minInterval: 1, axisLabel: { fontSize: 10 } },
    series: [
      { name: t.tViewers || "Viewers", type: "line", smooth: true, showSymbol: false, data: data.viewers, color: "#fe3666" },
      { name: t.tComments || "Comments", type: "line", smooth: true, showSymbol: false, data: data.comments, color: "#5470c6" },
      { name: t.tLikes || "Likes", type: "line", smooth: true, showSymbol: false, data: data.likes, color: "#fac858" },
    ],
  }),
  sales: (data, t) => ({
    ...base(data),
    tooltip: { trigger: "axis", valueFormatter: (v) => String(v) },
    yAxis: [
      { type: "value", name: t.tOrders || "Orders", minInterval: 1, axisLabel: { fontSize: 10 }, nameTextStyle: { fontSize: 10 } },
      { type: "value", name: t.tGmv || "GMV ¥", axisLabel: { fontSize: 10 }, nameTextStyle: { fontSize: 10 } },
    ],
    series: [
      { name: t.tOrders || "Orders", type: "bar", data: data.orders, color: "#14a37f" },
      // GMV arrives in fen; the axis reads in yuan.
      { name: t.tGmv || "GMV ¥", type: "bar", yAxisIndex: 1, data: data.gmv.map((f) => f / 100), color: "#91cc75" },
    ],
  }),
};

function render(root) {
  if (!echarts) return;
  for (const section of root.querySelectorAll("[data-live-analytics]")) {
    const source = section.querySelector("[data-chart-data]");
    if (!source) continue;
    const data = JSON.parse(source.textContent);
    for (const el of section.querySelectorAll("[data-chart]")) {
      const build = builders[el.dataset.chart];
      if (!build) continue;
      const chart = echarts.getInstanceByDom(el) || echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(build(data, section.dataset), true);
    }
  }
}

function dispose(root) {
  if (!echarts) return;
  for (const el of root.querySelectorAll("[data-chart]")) echarts.getInstanceByDom(el)?.dispose();
}

document.body.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.target.matches?.("[data-live-analytics]")) dispose(event.detail.target);
});
document.body.addEventListener("htmx:load", (event) => render(event.detail.elt.parentElement || document));
window.addEventListener("resize", () => {
  for (const el of document.querySelectorAll("[data-chart]")) echarts?.getInstanceByDom(el)?.resize();
});
render(document);
