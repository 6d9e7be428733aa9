/* Charts of the oversight pages: events per month by category, and the year before. */
(function () {
  var el = document.getElementById("stats-chart");
  if (!window.echarts || !el) { return; }
  var data = JSON.parse(el.dataset.chart);
  var series = data.series.map(function (s) { return {name: s.name, type: "bar", stack: "now", data: s.data}; });
  series.push({name: data.previous.name, type: "line", data: data.previous.data});
  echarts.init(el).setOption({tooltip: {trigger: "axis"}, legend: {type: "scroll"},
    xAxis: {type: "category", data: data.months}, yAxis: {type: "value", minInterval: 1}, series: series});
})();
