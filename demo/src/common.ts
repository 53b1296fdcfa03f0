/**
 * What every demo page shares: choosing the backend (WebGPU, or the CPU path with a plain note
 * when there is none or `?cpu` is in the address), the status line, number formatting, the
 * largest ULP difference, and `window.__demo`, which the end-to-end tests read.
 */
import { createRuntime, ulpDistance, type Runtime } from '../../src/index';

export interface PageRuntime {
  /** The runtime the page computes with: WebGPU when there is an adapter, else the CPU path. */
  rt: Runtime;
  /** The CPU reference path, for overlays and comparisons. */
  cpu: Runtime;
  backend: 'webgpu' | 'cpu';
  /** Why the page fell back to the CPU path (null on WebGPU). */
  fallbackReason: string | null;
}

/** State the end-to-end tests read; each page adds its own fields. */
export interface DemoHooks {
  page: string;
  backend: 'webgpu' | 'cpu' | null;
  adapter: { vendor: string; architecture: string; description: string } | null;
  fallbackReason: string | null;
  /** Becomes true after the page's first full render. */
  ready: boolean;
  /** Counts completed renders; tests wait for it to move after an interaction. */
  renders: number;
  /** Uncaught errors and rejected promises seen by the page. */
  errors: string[];
  [key: string]: unknown;
}

declare global {
  interface Window {
    __demo: DemoHooks;
  }
}

export function hooks(): DemoHooks {
  return window.__demo;
}

/** Sets up `window.__demo`, error capture and the backend; call once at the top of a page. */
export async function startPage(page: string): Promise<PageRuntime> {
  window.__demo = { page, backend: null, adapter: null, fallbackReason: null, ready: false, renders: 0, errors: [] };
  window.addEventListener('error', (e) => window.__demo.errors.push(String(e.message)));
  window.addEventListener('unhandledrejection', (e) => window.__demo.errors.push(String((e.reason as Error)?.message ?? e.reason)));

  const status = document.getElementById('backend-status')!;
  const cpu = await createRuntime({ backend: 'cpu' });
  let rt: Runtime | null = null;
  let reason: string | null = null;
  let detail = '';
  if (new URLSearchParams(location.search).has('cpu')) {
    reason = 'The CPU path was requested with ?cpu in the address.';
  } else if (!('gpu' in navigator) || !navigator.gpu) {
    reason = 'This browser does not offer WebGPU (navigator.gpu is missing): it may be switched off, or the page is not served over https or localhost.';
  } else {
    try {
      rt = await createRuntime({ gpu: navigator.gpu });
    } catch (e) {
      reason = 'WebGPU is switched on in this browser, but it found no GPU adapter it can use.';
      detail = (e as Error).message;
    }
  }
  const backend = rt ? 'webgpu' : 'cpu';
  window.__demo.backend = backend;
  window.__demo.fallbackReason = reason;
  if (rt) {
    const a = rt.adapterInfo!;
    window.__demo.adapter = { vendor: a.vendor, architecture: a.architecture, description: a.description };
    const name = [a.vendor, a.architecture, a.description].filter(Boolean).join(' ') || 'unnamed adapter';
    status.textContent = `Computing on the GPU with WebGPU (${name}). CPU reference values are overlaid for comparison.`;
    status.className = 'backend-status ok';
    rt.lost.then((info) => {
      if (info.reason === 'destroyed') return;
      status.textContent = `The GPU device was lost (${info.reason}). Reload the page to continue.`;
      status.className = 'backend-status warn';
    });
  } else {
    status.innerHTML = '';
    const strong = document.createElement('strong');
    strong.textContent = 'No WebGPU: running on the CPU path. ';
    status.append(strong, `${reason} Everything still works; the numbers come from the CPU reference implementation instead of the GPU.`);
    if (detail) {
      const more = document.createElement('details');
      const summary = document.createElement('summary');
      summary.textContent = 'Details';
      more.append(summary, detail);
      status.append(more);
    }
    status.className = 'backend-status warn';
    status.dataset.fallback = 'cpu';
  }
  return { rt: rt ?? cpu, cpu, backend, fallbackReason: reason };
}

/** Marks a render finished (and the page ready after the first). */
export function rendered(): void {
  window.__demo.renders++;
  window.__demo.ready = true;
  document.body.dataset.renders = String(window.__demo.renders);
}

/**
 * Makes a scheduler for `render`: renders run one at a time, changes made during a render
 * cause exactly one more, errors go to `errorBox`, and `body[data-busy]` is set meanwhile.
 */
export function renderQueue(render: () => Promise<void>, errorBox: HTMLElement): () => void {
  let running = false;
  let again = false;
  return function schedule(): void {
    if (running) {
      again = true;
      return;
    }
    running = true;
    document.body.dataset.busy = '1';
    void (async () => {
      do {
        again = false;
        await nextFrame();
        try {
          showError(errorBox, null);
          await render();
        } catch (e) {
          showError(errorBox, e);
          console.warn(e);
        }
        rendered();
      } while (again);
      running = false;
      delete document.body.dataset.busy;
    })();
  };
}

/** Shows an error in the page's alert region (or clears it with null). */
export function showError(el: HTMLElement, e: unknown): void {
  if (e === null) {
    el.hidden = true;
    el.textContent = '';
    return;
  }
  el.hidden = false;
  el.textContent = e instanceof Error ? e.message : String(e);
}

const MIN_NORMAL = 2 ** -126;

/** The largest ULP distance between two float32 series (both below the normal range count as equal). */
export function maxUlp(got: ArrayLike<number>, ref: ArrayLike<number>): { ulp: number; index: number } {
  let worst = { ulp: 0, index: -1 };
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(got[i]) < MIN_NORMAL && Math.abs(ref[i]) < MIN_NORMAL ? 0 : ulpDistance(got[i], ref[i]);
    if (d > worst.ulp || worst.index < 0) worst = { ulp: d, index: i };
  }
  return worst;
}

/** A number for tables: up to `digits` significant digits, no trailing noise. */
export function fmt(v: number, digits = 6): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-4 && a < 1e6) return String(Number(v.toPrecision(digits)));
  return v.toExponential(Math.max(0, digits - 1)).replace('e', '×10^');
}

/** Fixed decimals (for tables copied from the seeds). */
export function fixed(v: number, decimals = 6): string {
  return Number.isFinite(v) ? v.toFixed(decimals) : fmt(v);
}

/** Parses "1, 2.5, -3" (commas or spaces) into numbers; throws naming the bad entry. */
export function parseNumbers(what: string, text: string): number[] {
  const parts = text.split(/[\s,;[\]]+/).filter((s) => s.length > 0);
  if (parts.length === 0) throw new Error(`${what}: enter at least one number`);
  return parts.map((s) => {
    const v = Number(s);
    if (!Number.isFinite(v)) throw new Error(`${what}: '${s}' is not a number`);
    return v;
  });
}

/** `n` evenly spaced float32 values from `lo` to `hi` inclusive. */
export function linspace(lo: number, hi: number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = n === 1 ? lo : lo + ((hi - lo) * i) / (n - 1);
  return out;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined) continue;
    if (k === 'text') e.textContent = v;
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

export function $(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`demo: missing element #${id}`);
  return e;
}

export function $input(id: string): HTMLInputElement {
  return $(id) as HTMLInputElement;
}

/** Milliseconds since `t0`, to one decimal. */
export function since(t0: number): string {
  return `${(performance.now() - t0).toFixed(1)} ms`;
}

/** Runs `fn` after the page has had a chance to paint (keeps buttons responsive). */
export function nextFrame(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}
