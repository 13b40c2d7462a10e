// Draws each chart of a page with Apache ECharts from the JSON its page carries beside it.
function drawCharts() {
  if (!window.echarts) return;
  for (const el of document.querySelectorAll('[data-chart]')) {
    const data = JSON.parse(document.getElementById(el.dataset.chart).textContent);
    const chart = echarts.init(el, null, { renderer: 'canvas' });
    const base = { aria: { enabled: true }, animation: false, tooltip: {} };
    if (data.kind === 'heatmap') {
      const max = Math.max(1, ...data.cells.map((c) => c[2]));
      chart.setOption({
        ...base,
        grid: { left: 70, right: 20, top: 20, bottom: 80 },
        xAxis: { type: 'category', name: data.x, nameLocation: 'middle', nameGap: 30, data: ['1', '2', '3', '4', '5'] },
        yAxis: { type: 'category', name: data.y, nameLocation: 'middle', nameGap: 40, data: ['1', '2', '3', '4', '5'] },
        visualMap: { min: 0, max, calculable: true, orient: 'horizontal', left: 'center', bottom: 0 },
        series: [{ name: data.title, type: 'heatmap', data: data.cells, label: { show: true } }],
      });
    } else if (data.kind === 'bars') {
      chart.setOption({
        ...base,
        grid: { left: 110, right: 20, top: 10, bottom: 30 },
        xAxis: { type: 'value' },
        yAxis: { type: 'category', data: data.labels, inverse: true },
        series: [{ name: data.title, type: 'bar', data: data.values, label: { show: true, position: 'right' } }],
      });
    } else if (data.kind === 'pareto') {
      chart.setOption({
        ...base,
        legend: { data: [data.bars, data.line] },
        xAxis: { type: 'category', data: data.labels },
        yAxis: [{ type: 'value', name: data.bars }, { type: 'value', name: '%', max: 100 }],
        series: [
          { name: data.bars, type: 'bar', data: data.values, label: { show: true, position: 'top' } },
          {
            name: data.line,
            type: 'line',
            yAxisIndex: 1,
            data: data.cumulative,
            label: { show: true, formatter: '{c}%' },
          },
        ],
      });
    }
    el.dataset.drawn = 'true';
  }
}
document.addEventListener('DOMContentLoaded', drawCharts);
