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
Chart.defaults.color = '#1f2933';
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.responsive = true;

/** Colour-blind-friendly palette (Okabe–Ito), then a few more. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#8c564b', '#7f7f7f', '#bcbd22'];

export function colour(i: number): string {
  return PALETTE[i % PALETTE.length];
}

export type XY = { x: number; y: number };

export function points(xs: ArrayLike<number>, ys: ArrayLike<number>, every = 1): XY[] {
  const out: XY[] = [];
  for (let i = 0; i < xs.length; i += every) out.push({ x: xs[i], y: ys[i] });
  return out;
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
    data,
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
    plugins: { legend: { position: 'bottom', labels: { boxWidth: 28, usePointStyle: true } } },
    scales: {
      x: { type: 'linear', title: { display: true, text: xTitle } },
      y: { type: 'linear', title: { display: true, text: yTitle } },
    },
  };
}

export { Chart };
