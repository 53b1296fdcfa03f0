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
  fallbackKind: FallbackKind | null;
  /** The adapter runs on the CPU (SwiftShader, lavapipe). */
  software: boolean;
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

/** Why the page runs on the CPU path: asked for, no WebGPU API, no adapter, or no device. */
export type FallbackKind = 'requested' | 'no-api' | 'no-adapter' | 'no-device';

const FALLBACK_TEXT: Record<FallbackKind, string> = {
  requested: 'The CPU path was requested with ?cpu in the address.',
  'no-api':
    'This browser does not offer the WebGPU API (navigator.gpu is missing): the browser is too old, WebGPU is switched off, or the page is not served over https or localhost.',
  'no-adapter':
    'This browser has the WebGPU API (navigator.gpu), but it found no GPU adapter it can use (requestAdapter() returned none): the GPU or its driver may be blocklisted, or WebGPU is not enabled on this platform (Chromium on Linux: chrome://flags/#enable-unsafe-webgpu).',
  'no-device': 'This browser has the WebGPU API and an adapter, but creating a GPU device failed.',
};

/** Software adapters run the "GPU" on the CPU (SwiftShader, lavapipe/llvmpipe, WARP). */
export function isSoftwareAdapter(a: { vendor: string; architecture: string; description: string } | null): boolean {
  if (!a) return false;
  return /swiftshader|llvmpipe|lavapipe|softpipe|software|warp|basic render/i.test(`${a.vendor} ${a.architecture} ${a.description}`);
}

/** Sets up `window.__demo`, error capture and the backend; call once at the top of a page. */
export async function startPage(page: string): Promise<PageRuntime> {
  window.__demo = { page, backend: null, adapter: null, fallbackReason: null, fallbackKind: null, software: false, ready: false, renders: 0, errors: [] };
  window.addEventListener('error', (e) => window.__demo.errors.push(String(e.message)));
  window.addEventListener('unhandledrejection', (e) => window.__demo.errors.push(String((e.reason as Error)?.message ?? e.reason)));

  const status = document.getElementById('backend-status')!;
  const cpu = await createRuntime({ backend: 'cpu' });
  let rt: Runtime | null = null;
  let kind: FallbackKind | null = null;
  let detail = '';
  if (new URLSearchParams(location.search).has('cpu')) {
    kind = 'requested';
  } else if (!('gpu' in navigator) || !navigator.gpu) {
    kind = 'no-api';
  } else {
    // Asked once here to tell "no adapter" from "no device": createRuntime asks again.
    const adapter = await navigator.gpu.requestAdapter().catch(() => null);
    if (!adapter) {
      kind = 'no-adapter';
    } else {
      try {
        rt = await createRuntime({ gpu: navigator.gpu });
      } catch (e) {
        kind = 'no-device';
        detail = (e as Error).message;
      }
    }
  }
  const reason = kind ? FALLBACK_TEXT[kind] : null;
  const backend = rt ? 'webgpu' : 'cpu';
  window.__demo.backend = backend;
  window.__demo.fallbackReason = reason;
  window.__demo.fallbackKind = kind;
  if (rt) {
    const a = rt.adapterInfo!;
    window.__demo.adapter = { vendor: a.vendor, architecture: a.architecture, description: a.description };
    window.__demo.software = isSoftwareAdapter(a);
    status.textContent = `Computing on the GPU with WebGPU (${adapterName(a)}${window.__demo.software ? ', a software adapter: the GPU is emulated on the CPU' : ''}). CPU reference values are shown beside it.`;
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
    // Headings, captions and buttons that name the GPU say "CPU path" instead.
    for (const e of Array.from(document.querySelectorAll<HTMLElement>('[data-cpu]'))) e.textContent = e.dataset.cpu!;
  }
  document.body.dataset.backend = backend;
  return { rt: rt ?? cpu, cpu, backend, fallbackReason: reason };
}

/** "google swiftshader" from the adapter's vendor, architecture and description. */
export function adapterName(a: { vendor: string; architecture: string; description: string }): string {
  return [a.vendor, a.architecture, a.description].filter(Boolean).join(' ') || 'unnamed adapter';
}

/**
 * The page's "what ran where" line: the adapter, the time on each path, and on a software
 * adapter why small work is faster on the CPU path.
 */
export function showWhere(work: string, gpuMs: number | null, cpuMs: number | null): void {
  const box = document.getElementById('where');
  if (!box) return;
  const d = window.__demo;
  const parts: string[] = [];
  if (d.backend === 'webgpu' && d.adapter) {
    parts.push(`Ran on the GPU (WebGPU, ${adapterName(d.adapter)})${gpuMs !== null ? `: ${work} in ${gpuMs.toFixed(1)} ms, including upload and read-back` : ''}.`);
    if (cpuMs !== null) parts.push(`The CPU reference path took ${cpuMs.toFixed(1)} ms.`);
    if (d.software) {
      parts.push(
        'This is a software adapter: the "GPU" is the CPU running an emulator, and each dispatch and read-back costs a fixed fraction of a millisecond or more, ' +
          'so for a few hundred numbers or a tiny network the plain CPU path is usually faster. On a real GPU the GPU wins once the work is large (long ranges, big batches, wide layers).',
      );
    }
  } else {
    parts.push(`Ran on the CPU path only (no WebGPU)${cpuMs !== null ? `: ${work} in ${cpuMs.toFixed(1)} ms` : ''}.`);
  }
  box.textContent = parts.join(' ');
  d.where = { text: box.textContent, gpuMs, cpuMs };
}

/** Marks a render finished (and the page ready after the first). */
export function rendered(): void {
  window.__demo.renders++;
  window.__demo.ready = true;
  document.body.dataset.renders = String(window.__demo.renders);
}

/**
 * Makes a scheduler for `render`: renders run one at a time, changes made during a render
 * cause exactly one more, errors go next to the control that caused them (see `reportError`),
 * and `body[data-busy]` is set meanwhile.
 */
export function renderQueue(render: () => Promise<void>, errorBox: HTMLElement): () => void {
  let running = false;
  let again = false;
  trackLastControl();
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
          clearErrors(errorBox);
          await render();
        } catch (e) {
          reportError(errorBox, e);
          console.warn(e);
        }
        rendered();
      } while (again);
      running = false;
      delete document.body.dataset.busy;
    })();
  };
}

/** An error about one form field: shown under that field, which is marked aria-invalid. */
export class FieldError extends Error {
  constructor(
    readonly field: HTMLElement,
    message: string,
  ) {
    super(message);
    this.name = 'FieldError';
  }
}

let lastControl: HTMLElement | null = null;
let tracking = false;

/** Remembers the control the user last changed or pressed, so an error can be shown beside it. */
export function trackLastControl(): void {
  if (tracking) return;
  tracking = true;
  for (const type of ['change', 'click', 'input', 'submit', 'keydown']) {
    document.addEventListener(
      type,
      (e) => {
        const t = e.target as HTMLElement | null;
        // A click on a button's inner <span> counts as the button.
        const control = t?.closest?.('input, select, textarea, button') as HTMLElement | null;
        if (control) lastControl = control;
        else if (type === 'submit' && t instanceof HTMLFormElement) lastControl = (e as SubmitEvent).submitter ?? t;
      },
      true,
    );
  }
}

const homes = new WeakMap<HTMLElement, { parent: Node; next: Node | null }>();

/** Where an error about the last control goes: the end of its fieldset or button group, else null. */
function errorHome(): HTMLElement | null {
  const c = lastControl;
  if (!c || !c.isConnected) return null;
  return c.closest('[data-error-home]') ?? c.closest('fieldset') ?? c.closest('.buttons') ?? null;
}

/** Shows an error: a FieldError under its field, anything else in `box`, moved next to the control that caused it. */
export function reportError(box: HTMLElement, e: unknown): void {
  if (e instanceof FieldError) {
    markInvalid(e.field, e.message);
    box.hidden = true;
    box.textContent = '';
  } else {
    if (!homes.has(box) && box.parentNode) homes.set(box, { parent: box.parentNode, next: box.nextSibling });
    const home = errorHome();
    if (home) {
      if (home.classList.contains('buttons')) home.after(box);
      else home.append(box);
    } else {
      const first = homes.get(box);
      if (first && box.parentNode !== first.parent) first.parent.insertBefore(box, first.next && first.next.parentNode === first.parent ? first.next : null);
    }
    box.hidden = false;
    box.textContent = e instanceof Error ? e.message : String(e);
    scrollIntoViewIfNeeded(box);
  }
  document.querySelector('[data-results]')?.classList.add('stale');
  window.__demo.lastError = e instanceof Error ? e.message : String(e);
}

/** Marks `field` invalid with `message` right under it (aria-invalid, aria-describedby). */
export function markInvalid(field: HTMLElement, message: string): void {
  field.setAttribute('aria-invalid', 'true');
  const id = `${field.id}-error`;
  let msg = document.getElementById(id);
  if (!msg) {
    msg = el('p', { id, class: 'field-error', role: 'alert' });
    (field.closest('.field') ?? field).after(msg);
  }
  msg.textContent = message;
  const described = (field.getAttribute('aria-describedby') ?? '').split(' ').filter((s) => s && s !== id);
  field.setAttribute('aria-describedby', [...described, id].join(' '));
  scrollIntoViewIfNeeded(msg);
}

/** Clears the alert box, every field marked invalid and the stale mark on the results. */
export function clearErrors(box: HTMLElement | null): void {
  if (box) {
    box.hidden = true;
    box.textContent = '';
  }
  for (const f of Array.from(document.querySelectorAll<HTMLElement>('[aria-invalid="true"]'))) {
    f.removeAttribute('aria-invalid');
    const id = `${f.id}-error`;
    document.getElementById(id)?.remove();
    const rest = (f.getAttribute('aria-describedby') ?? '').split(' ').filter((s) => s && s !== id);
    if (rest.length) f.setAttribute('aria-describedby', rest.join(' '));
    else f.removeAttribute('aria-describedby');
  }
  document.querySelector('[data-results]')?.classList.remove('stale');
}

function scrollIntoViewIfNeeded(e: HTMLElement): void {
  const r = e.getBoundingClientRect();
  if (r.top < 0 || r.bottom > window.innerHeight) e.scrollIntoView({ block: 'center' });
}

/** Shows an error in the page's alert region (or clears it with null). */
export function showError(el: HTMLElement, e: unknown): void {
  if (e === null) clearErrors(el);
  else reportError(el, e);
}

/** float32's largest finite value. */
export const FLOAT32_MAX = 3.4028234663852886e38;

export interface NumberRules {
  /** Whole numbers only. */
  integer?: boolean;
  min?: number;
  max?: number;
  /** Empty gives null instead of an error. */
  optional?: boolean;
  /** Must be a finite float32 (|v| <= 3.4e38). Default true. */
  float32?: boolean;
}

/**
 * Reads a number input or text field: empty is an error (never 0), so is text that is not a
 * number, a fraction where a whole number is needed, and a value outside float32 or the range.
 */
export function readNumber(field: HTMLInputElement, what: string, rules: NumberRules & { optional: true }): number | null;
export function readNumber(field: HTMLInputElement, what: string, rules?: NumberRules): number;
export function readNumber(field: HTMLInputElement, what: string, rules: NumberRules = {}): number | null {
  const text = field.value.trim();
  if (field.validity?.badInput) throw new FieldError(field, `${what}: this is not a number`);
  if (text === '') {
    if (rules.optional) return null;
    throw new FieldError(field, `${what}: enter a number (the field is empty)`);
  }
  const v = Number(text);
  if (!Number.isFinite(v) && !/^[-+]?\d/.test(text)) throw new FieldError(field, `${what}: '${text}' is not a number`);
  if ((rules.float32 ?? true) && !(Math.abs(v) <= FLOAT32_MAX)) {
    throw new FieldError(field, `${what}: ${text} is too large for a float32, whose largest value is about 3.4×10^38`);
  }
  if (rules.integer && !Number.isInteger(v)) throw new FieldError(field, `${what}: enter a whole number (got ${text})`);
  if (rules.min !== undefined && v < rules.min) throw new FieldError(field, `${what}: must be at least ${rules.min} (got ${text})`);
  if (rules.max !== undefined && v > rules.max) throw new FieldError(field, `${what}: must be at most ${rules.max} (got ${text})`);
  return v;
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
  return v.toExponential(Math.max(0, digits - 1)).replace(/e\+?/, '×10^');
}

/** Fixed decimals (for tables copied from the seeds). */
export function fixed(v: number, decimals = 6): string {
  return Number.isFinite(v) ? v.toFixed(decimals) : fmt(v);
}

/**
 * Parses "1, 2.5, -3" (commas or spaces) into numbers; throws naming the bad entry (a
 * FieldError on `field` when given). Values beyond float32 are rejected.
 */
export function parseNumbers(what: string, text: string, field?: HTMLElement): number[] {
  const fail = (m: string) => (field ? new FieldError(field, m) : new Error(m));
  const parts = text.split(/[\s,;[\]]+/).filter((s) => s.length > 0);
  if (parts.length === 0) throw fail(`${what}: enter at least one number`);
  return parts.map((s) => {
    const v = Number(s);
    if (Number.isNaN(v) || (!Number.isFinite(v) && !/^[-+]?\d/.test(s))) throw fail(`${what}: '${s}' is not a number`);
    if (!(Math.abs(v) <= FLOAT32_MAX)) throw fail(`${what}: ${s} is too large for a float32, whose largest value is about 3.4×10^38`);
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
