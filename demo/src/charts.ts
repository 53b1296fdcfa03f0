/**
 * Chart.js set-up shared by the pages: only the parts we use are registered, animations are off
 * (the data changes while training; tests read the charts), and colours come from one palette.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Title,
  Tooltip,
  type ChartConfiguration,
  type ChartDataset,
  type LegendItem,
  type Scale,
} from 'chart.js';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Title,
  Tooltip,
);
Chart.defaults.animation = false;
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
/** Dark mode follows the system (prefers-color-scheme), as the stylesheet does. */
export const DARK = typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
Chart.defaults.color = DARK ? '#d9e2ec' : '#1f2933';
Chart.defaults.borderColor = DARK ? 'rgba(217, 226, 236, 0.18)' : 'rgba(0, 0, 0, 0.1)';
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.responsive = true;

/** Colour-blind-friendly palette (Okabe–Ito), then a few more. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', DARK ? '#f0f4f8' : '#000000', '#8c564b', '#7f7f7f', '#bcbd22'];

export function colour(i: number): string {
  return PALETTE[i % PALETTE.length];
}

export type XY = { x: number; y: number };

/**
 * {x, y} points sorted by x (every `every`-th). The datasets set `parsing: false`, with which
 * Chart.js assumes x is sorted and skips points outside the run it finds by bisection.
 */
export function points(xs: ArrayLike<number>, ys: ArrayLike<number>, every = 1): XY[] {
  const out: XY[] = [];
  for (let i = 0; i < xs.length; i += every) out.push({ x: xs[i], y: ys[i] });
  return sortByX(out);
}

export function sortByX(data: XY[]): XY[] {
  for (let i = 1; i < data.length; i++) if (data[i].x < data[i - 1].x) return [...data].sort((a, b) => a.x - b.x);
  return data;
}

const swatches = new Map<string, HTMLCanvasElement>();

/** A legend swatch: a short solid or dashed line in `colour` (f and f′ get different ones). */
function lineSwatch(colour: string, dash: readonly number[]): HTMLCanvasElement {
  const key = `${colour} ${dash.join(',')}`;
  let c = swatches.get(key);
  if (!c) {
    c = document.createElement('canvas');
    c.width = 30;
    c.height = 10;
    const g = c.getContext('2d')!;
    g.strokeStyle = colour;
    g.lineWidth = 2.5;
    g.setLineDash(dash.length ? [5, 3] : []);
    g.beginPath();
    g.moveTo(1, 5);
    g.lineTo(29, 5);
    g.stroke();
    swatches.set(key, c);
  }
  return c;
}

/** Legend entries whose swatch looks like the dataset: lines solid or dashed, markers as drawn. */
function legendLabels(chart: Chart): LegendItem[] {
  const items = Chart.defaults.plugins.legend.labels.generateLabels(chart);
  for (const item of items) {
    const ds = chart.data.datasets[item.datasetIndex ?? -1] as ChartDataset<'line'> | undefined;
    if (!ds || (ds.type ?? (chart.config as { type?: string }).type) !== 'line') continue;
    const dash = (ds.borderDash as number[] | undefined) ?? [];
    item.pointStyle = lineSwatch(String(ds.borderColor), dash);
    item.lineDash = dash;
  }
  return items;
}

/** A line dataset (curve from GPU values). */
export function line(label: string, data: XY[], i: number, dashed = false): ChartDataset<'line', XY[]> {
  return {
    type: 'line',
    label,
    data,
    borderColor: colour(i),
    backgroundColor: colour(i),
    borderWidth: 2,
    borderDash: dashed ? [6, 4] : [],
    pointRadius: 0,
    pointHitRadius: 4,
    pointStyle: 'line',
    parsing: false,
  };
}

/** Markers (CPU reference overlay, data points, labels). */
export function markers(label: string, data: XY[], i: number, radius = 3, style: 'circle' | 'crossRot' | 'rectRot' | 'triangle' = 'circle'): ChartDataset<'scatter', XY[]> {
  return {
    type: 'scatter',
    label,
    data: sortByX(data),
    borderColor: colour(i),
    backgroundColor: style === 'circle' ? colour(i) : 'transparent',
    pointStyle: style,
    pointRadius: radius,
    pointBorderWidth: 1.5,
    parsing: false,
  };
}

/** A chart on `canvas`; the canvas gets role="img" and the given accessible name. */
/** Grows the chart's box with its legend so many curves do not squeeze the plot. */
export function fitLegend(chart: Chart, base = 26): void {
  const n = chart.data.datasets.length;
  const box = chart.canvas.parentElement;
  if (box) box.style.height = n > 8 ? `${base + Math.ceil((n - 8) / 4) * 1.6}rem` : '';
}

export function makeChart(canvas: HTMLCanvasElement, description: string, config: ChartConfiguration): Chart {
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', description);
  return new Chart(canvas, config);
}

export function xyOptions(xTitle: string, yTitle: string): ChartConfiguration['options'] {
  return {
    interaction: { mode: 'nearest', intersect: false },
    plugins: { legend: { position: 'bottom', labels: { boxWidth: 28, usePointStyle: true, generateLabels: legendLabels } } },
    scales: {
      x: { type: 'linear', title: { display: true, text: xTitle } },
      y: { type: 'linear', title: { display: true, text: yTitle } },
    },
  };
}

/** Compact tick text: 0.001, 0.5, 20, 1e-7, 3e+15 (no "10.000" or "2E15 2E15"). */
export function tickText(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e5) return String(Number(v.toPrecision(3)));
  return v.toExponential(Math.abs(v / 10 ** Math.floor(Math.log10(a)) - 1) < 1e-9 ? 0 : 1).replace('e+', 'e');
}

/** A logarithmic axis that labels only the powers of ten (and 2× and 5× when there are few). */
export function logAxis(title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'logarithmic',
    title: { display: true, text: title },
    ...extra,
    ticks: {
      autoSkip: true,
      callback(this: Scale, value: number | string) {
        const v = Number(value);
        if (!(v > 0)) return '';
        const decades = Math.log10(Number(this.max) / Number(this.min));
        const m = v / 10 ** Math.floor(Math.log10(v) + 1e-9);
        const lead = Math.round(m * 1000) / 1000;
        if (lead === 1 || (decades < 3 && (lead === 2 || lead === 5))) return tickText(v);
        return '';
      },
    },
  };
}

/** A linear axis with compact tick text. */
export function linearAxis(title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'linear', title: { display: true, text: title }, ...extra, ticks: { callback: (v: number | string) => tickText(Number(v)) } };
}

/**
 * What a chart shows, for the tests: each dataset's points and how many Chart.js draws
 * (it assumes sorted x), the legend's swatches and each axis's range and tick labels.
 */
export function chartState(chart: Chart): unknown {
  const datasets = chart.data.datasets.map((d, i) => {
    const data = (d.data as unknown[]).map((p) => (p && typeof p === 'object' ? [(p as XY).x, (p as XY).y] : p));
    const meta = chart.getDatasetMeta(i);
    const ctl = meta.controller as unknown as { _drawStart?: number; _drawCount?: number };
    const xs = data.map((p) => (Array.isArray(p) ? p[0] : NaN));
    return {
      label: d.label,
      type: (d as { type?: string }).type ?? (chart.config as { type?: string }).type,
      data,
      sorted: xs.every((x, k) => k === 0 || !(x < xs[k - 1])),
      drawn: meta.hidden ? 0 : ctl._drawCount ?? data.length,
      colour: d.backgroundColor,
      border: d.borderColor,
      dashed: ((d as { borderDash?: number[] }).borderDash ?? []).length > 0,
      axis: (d as { yAxisID?: string }).yAxisID ?? 'y',
    };
  });
  const legend = (chart.legend?.legendItems ?? []).map((it) => ({
    text: it.text,
    fill: it.fillStyle,
    stroke: it.strokeStyle,
    dash: it.lineDash ?? [],
    swatch: it.pointStyle instanceof HTMLCanvasElement ? it.pointStyle.toDataURL() : String(it.pointStyle ?? ''),
  }));
  const scales = Object.fromEntries(
    Object.entries(chart.scales).map(([id, s]) => [id, { type: s.type, min: s.min, max: s.max, left: s.left, right: s.right, display: !!s.options.display, ticks: s.ticks.map((t) => String(t.label ?? '')).filter(Boolean) }]),
  );
  return { datasets, legend, scales, chartArea: chart.chartArea, width: chart.width };
}

export { Chart };
