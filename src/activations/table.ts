/**
 * The built-in activations: ids (the WGSL override `ACTIVATION`, see shaders/lib/activations.wgsl),
 * docs, parameter packing and the float64 CPU reference. Each `forward` sits right above its
 * `backward`; both are written independently of the WGSL and are within 1 ULP of the correctly
 * rounded float32 result once the caller rounds them with Math.fround.
 */
import { NNError, describeValue } from '../errors';
import type { ActivationParams, ActivationSpec, PackedParams } from './types';
import { normalCdf, normalPdf } from './special';

type ParamKind = { kind: 'number'; default: number; nonZero?: boolean }
  | { kind: 'boolean'; default: boolean }
  | { kind: 'enum'; default: string; values: readonly string[] };

interface Entry {
  name: string;
  aliases?: readonly string[];
  id: number;
  doc: ActivationSpec['doc'];
  params?: Record<string, ParamKind>;
  /** Packs validated values (defaults filled in) into the four floats the shader reads. */
  toPacked?: (v: Record<string, number | boolean | string>) => number[];
  f: (x: number, p: PackedParams) => number;
  /** f'(x); `backward` multiplies by dy. */
  df: (x: number, p: PackedParams) => number;
}

const f32 = Math.fround;

/** Sorted into the float32 parameter block; throws naming the activation and the parameter. */
function makePack(e: Entry): ActivationSpec['pack'] {
  const specs = e.params ?? {};
  const names = Object.keys(specs);
  let defaults: PackedParams | null = null;
  return (params: ActivationParams | undefined): PackedParams => {
    // The common call passes no parameters: pack the defaults once (PackedParams is read-only).
    if (params === undefined && defaults) return defaults;
    const values: Record<string, number | boolean | string> = {};
    for (const key of Object.keys(params ?? {})) {
      if (!(key in specs)) {
        const expected = names.length ? `expected ${names.join(', ')}` : 'takes no parameters';
        throw new NNError(`${e.name}: unknown parameter '${key}' (${expected})`);
      }
    }
    for (const key of names) {
      const s = specs[key];
      const v = params?.[key];
      if (v === undefined) { values[key] = s.default; continue; }
      if (s.kind === 'number') {
        if (typeof v !== 'number') throw new NNError(`${e.name}: parameter '${key}' must be a number, got ${describeValue(v)}`);
        if (!Number.isFinite(v) || !Number.isFinite(f32(v))) {
          throw new NNError(`${e.name}: parameter '${key}' must be a finite float32, got ${v}`);
        }
        if (s.nonZero && f32(v) === 0) throw new NNError(`${e.name}: parameter '${key}' must be non-zero`);
      } else if (s.kind === 'boolean') {
        if (typeof v !== 'boolean') throw new NNError(`${e.name}: parameter '${key}' must be a boolean, got ${describeValue(v)}`);
      } else if (typeof v !== 'string' || !s.values.includes(v)) {
        throw new NNError(`${e.name}: parameter '${key}' must be one of ${s.values.map((x) => `'${x}'`).join(', ')}, got ${describeValue(v)}`);
      }
      values[key] = v;
    }
    const raw = e.toPacked ? e.toPacked(values) : names.map((k) => Number(values[k]));
    const packed = Object.freeze([0, 1, 2, 3].map((i) => f32(raw[i] ?? 0))) as unknown as PackedParams;
    if (params === undefined) defaults = packed;
    return packed;
  };
}

/** The next float32 below / above v (v a float64). */
function f32Down(v: number): number {
  const f = f32(v);
  if (f <= v) return f;
  const b = new Float32Array([f]);
  const u = new Int32Array(b.buffer);
  u[0] += f > 0 ? -1 : f < 0 ? 1 : -0x7fffffff;
  return b[0];
}
const f32Up = (v: number): number => -f32Down(-v);

/**
 * Float32 bounds (lo, hi) such that, for every float32 x, lo < x < hi exactly when
 * 0 < alpha x + beta < 1. The GPU compares x against them instead of a rounded alpha x + beta,
 * so the slope region (and hardSigmoid' there) matches the exact one on both paths.
 */
function slopeInterval(alpha: number, beta: number): [number, number] {
  if (alpha === 0) return [0, 0];
  const a = -beta / alpha;
  const b = (1 - beta) / alpha;
  return [f32Down(Math.min(a, b)), f32Up(Math.max(a, b))];
}

// e = e^-|x| <= 1 in every formula below, so nothing overflows and nothing cancels.
const sigmoid = (x: number): number => {
  const e = Math.exp(-Math.abs(x));
  return x >= 0 ? 1 / (1 + e) : e / (1 + e);
};

/**
 * f'(x) near a root x0 of f' (gelu and its tanh form): a Taylor series in d = x - x0 with
 * coefficients from mpmath, because Phi(x) + x phi(x) cancels to nothing there.
 */
function rootSeries(x0: readonly [number, number], c: readonly number[]) {
  return (x: number): number | undefined => {
    const d = (x - x0[0]) - x0[1];
    if (Math.abs(d) > 1e-3) return undefined;
    let s = 0;
    for (let k = c.length - 1; k >= 0; k--) s = (s + c[k]) * d;
    return s;
  };
}
const geluRoot = rootSeries([-0.7517915246935645, 1.4956759177009883e-17],
  [0.4314939923140469, 0.388284982990552, -0.018199676398671087, -0.1140082332972217, -0.014771522148244337]);
const geluTanhRoot = rootSeries([-0.7524614220710163, 3.635560509207687e-17],
  [0.4304000910248585, 0.38751844613578895, -0.01578285352184803, -0.11394448308095899, -0.01661932834305256]);

// gelu, tanh form: x sigmoid(w), w = 2 sqrt(2/pi) (x + 0.044715 x^3).
const GT_A = 2 * Math.sqrt(2 / Math.PI);
const GT_B = GT_A * 0.044715;
const geluTanh = (x: number): number => {
  if (x === Infinity) return x;
  if (x === -Infinity) return -0;
  return x * sigmoid(x * (GT_A + GT_B * x * x));
};
const geluTanhGrad = (x: number): number => {
  if (!Number.isFinite(x)) return x > 0 ? 1 : 0;
  const near = geluTanhRoot(x);
  if (near !== undefined) return near;
  const w = x * (GT_A + GT_B * x * x);
  const dw = GT_A + 3 * GT_B * x * x;
  const e = Math.exp(-Math.abs(w));
  const d = 1 + e;
  // sigmoid(w) (1 + x w' sigmoid(-w)), regrouped so the only cancellation is (1 + e) + x w'.
  return w >= 0 ? (d + x * dw * e) / (d * d) : (e * (d + x * dw)) / (d * d);
};

const gelu = (x: number): number => {
  if (x === -Infinity) return -0;
  return x * normalCdf(x);
};
const geluGrad = (x: number): number => {
  if (!Number.isFinite(x)) return x > 0 ? 1 : 0;
  return geluRoot(x) ?? normalCdf(x) + x * normalPdf(x);
};

// mish: x tanh(softplus(x)) = x n / (n + 2), n = e^x (e^x + 2).
const mish = (x: number): number => {
  if (x === Infinity) return x;
  if (x === -Infinity) return -0;
  if (x <= 0) {
    const e = Math.exp(x);
    const n = e * (e + 2);
    return (x * n) / (n + 2);
  }
  const e = Math.exp(-x);
  return (x * (1 + 2 * e)) / (1 + 2 * e + 2 * e * e);
};
const mishGrad = (x: number): number => {
  if (!Number.isFinite(x)) return x > 0 ? 1 : 0;
  if (x <= 0) {
    // e S / (n + 2)^2 with S = 4 (1 + x) + e (n + 2e + 6 + 4x): 1 + x is exact, so the root
    // at -1.19 costs no accuracy.
    const e = Math.exp(x);
    const n = e * (e + 2);
    const s = 4 * (1 + x) + e * (n + 2 * e + 6 + 4 * x);
    return (e * s) / ((n + 2) * (n + 2));
  }
  const e = Math.exp(-x);
  const dd = 1 + 2 * e + 2 * e * e;
  return (1 + 2 * e) / dd + (4 * x * e * e * (1 + e)) / (dd * dd);
};

const silu = (x: number): number => (x === -Infinity ? -0 : x * sigmoid(x));
const siluGrad = (x: number): number => {
  if (!Number.isFinite(x)) return x > 0 ? 1 : 0;
  const e = Math.exp(-Math.abs(x));
  const d = 1 + e;
  // sigmoid(x) (1 + x sigmoid(-x)); for x < 0 written with the exact 1 + x (root at -1.278).
  return x >= 0 ? (d + x * e) / (d * d) : (e * ((1 + x) + e)) / (d * d);
};

const ENTRIES = [
  {
    name: 'identity', id: 0,
    doc: { formula: 'x', derivative: '1' },
    f: (x) => x,
    df: () => 1,
  },
  {
    name: 'linear', id: 1,
    doc: { formula: 'a x + b', derivative: 'a', params: 'a = 1, b = 0 (seed example: a = 1.5, b = 1); with the defaults it is Keras\' linear' },
    params: { a: { kind: 'number', default: 1 }, b: { kind: 'number', default: 0 } },
    f: (x, p) => p[0] * x + p[1],
    df: (_x, p) => p[0],
  },
  {
    name: 'step', aliases: ['heaviside', 'binary_step'], id: 2,
    doc: {
      formula: '1 if x >= 0, else 0 (bipolar: -1); step(0) = step(-0) = 1',
      derivative: '0 everywhere (taken as 0 at x = 0 as well); NaN in x or dy gives NaN',
      params: 'bipolar = false',
    },
    params: { bipolar: { kind: 'boolean', default: false } },
    toPacked: (v) => [v.bipolar ? 1 : 0],
    f: (x, p) => (x >= 0 ? 1 : p[0] !== 0 ? -1 : 0),
    df: () => 0,
  },
  {
    name: 'sigmoid', aliases: ['logistic'], id: 3,
    doc: { formula: '1 / (1 + e^-x), from e = e^-|x|', derivative: 'e / (1 + e)^2 with e = e^-|x| (= s (1 - s), without its cancellation)' },
    f: sigmoid,
    df: (x) => { const e = Math.exp(-Math.abs(x)); return e / ((1 + e) * (1 + e)); },
  },
  {
    name: 'tanh', id: 4,
    doc: { formula: 'tanh x = (e^x - e^-x) / (e^x + e^-x)', derivative: '1 - tanh^2 x = 4 e / (1 + e)^2 with e = e^-2|x|' },
    f: Math.tanh,
    df: (x) => { const e = Math.exp(-2 * Math.abs(x)); return (4 * e) / ((1 + e) * (1 + e)); },
  },
  {
    name: 'relu', id: 5,
    doc: { formula: 'max(0, x)', derivative: '1 if x > 0 else 0; relu\'(0) = 0' },
    f: (x) => (x > 0 ? x : 0),
    df: (x) => (x > 0 ? 1 : 0),
  },
  {
    name: 'leakyRelu', aliases: ['leaky_relu'], id: 6,
    doc: { formula: 'x if x > 0 else alpha x', derivative: '1 if x > 0 else alpha; at 0: alpha', params: 'alpha = 0.2 (TensorFlow.js default)' },
    params: { alpha: { kind: 'number', default: 0.2 } },
    f: (x, p) => (x > 0 ? x : p[0] * x),
    df: (x, p) => (x > 0 ? 1 : p[0]),
  },
  {
    name: 'relu6', id: 7,
    doc: { formula: 'min(max(x, 0), 6)', derivative: '1 if 0 < x < 6 else 0; at 0 and at 6: 0' },
    f: (x) => Math.min(Math.max(x, 0), 6),
    df: (x) => (x > 0 && x < 6 ? 1 : 0),
  },
  {
    name: 'elu', id: 8,
    doc: { formula: 'x if x > 0 else alpha (e^x - 1)', derivative: '1 if x > 0 else alpha e^x; at 0: alpha (left piece)', params: 'alpha = 1' },
    params: { alpha: { kind: 'number', default: 1 } },
    f: (x, p) => (x > 0 ? x : p[0] * Math.expm1(x)),
    df: (x, p) => (x > 0 ? 1 : p[0] * Math.exp(x)),
  },
  {
    name: 'selu', id: 9,
    doc: {
      formula: 'gamma x if x > 0 else gamma alpha (e^x - 1)',
      derivative: 'gamma if x > 0 else gamma alpha e^x; at 0: gamma alpha (left piece)',
      params: 'alpha = 1.6732632423543772, gamma = 1.0507009873554805 (packed with alpha gamma rounded once)',
    },
    params: { alpha: { kind: 'number', default: 1.6732632423543772 }, gamma: { kind: 'number', default: 1.0507009873554805 } },
    toPacked: (v) => [Number(v.alpha), Number(v.gamma), f32(Number(v.alpha)) * f32(Number(v.gamma))],
    f: (x, p) => (x > 0 ? p[1] * x : p[0] * p[1] * Math.expm1(x)),
    df: (x, p) => (x > 0 ? p[1] : p[0] * p[1] * Math.exp(x)),
  },
  {
    name: 'celu', id: 10,
    doc: { formula: 'max(0, x) + min(0, alpha (e^(x/alpha) - 1))', derivative: '1 if x > 0 else e^(x/alpha); at 0: 1', params: 'alpha = 1 (non-zero)' },
    params: { alpha: { kind: 'number', default: 1, nonZero: true } },
    f: (x, p) => (x > 0 ? x : p[0] * Math.expm1(x / p[0])),
    df: (x, p) => (x > 0 ? 1 : Math.exp(x / p[0])),
  },
  {
    name: 'softplus', id: 11,
    doc: { formula: 'log(1 + e^x) = max(x, 0) + log1p(e^-|x|)', derivative: 'sigmoid(x)' },
    f: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
    df: sigmoid,
  },
  {
    name: 'softsign', id: 12,
    doc: { formula: 'x / (1 + |x|)', derivative: '1 / (1 + |x|)^2' },
    f: (x) => (Number.isFinite(x) ? x / (1 + Math.abs(x)) : Math.sign(x)),
    df: (x) => 1 / ((1 + Math.abs(x)) * (1 + Math.abs(x))),
  },
  {
    name: 'hardSigmoid', aliases: ['hard_sigmoid'], id: 13,
    doc: {
      formula: 'clamp(alpha x + beta, 0, 1)',
      derivative: 'alpha where 0 < alpha x + beta < 1, else 0 (0 at both clamp edges)',
      params: 'alpha = 0.2, beta = 0.5 (Keras 2)',
    },
    params: { alpha: { kind: 'number', default: 0.2 }, beta: { kind: 'number', default: 0.5 } },
    toPacked: (v) => [Number(v.alpha), Number(v.beta), ...slopeInterval(f32(Number(v.alpha)), f32(Number(v.beta)))],
    f: (x, p) => Math.min(Math.max(p[0] * x + p[1], 0), 1),
    // p[2], p[3] bound the float32 x with 0 < alpha x + beta < 1 (see slopeInterval).
    df: (x, p) => (x > p[2] && x < p[3] ? p[0] : 0),
  },
  {
    name: 'silu', aliases: ['swish'], id: 14,
    doc: { formula: 'x sigmoid(x)', derivative: 'sigmoid(x) (1 + x sigmoid(-x)); crosses 0 at x = -1.2784645' },
    f: silu,
    df: siluGrad,
  },
  {
    name: 'gelu', id: 15,
    doc: {
      formula: "x Phi(x) = 0.5 x erfc(-x / sqrt 2); approximate 'tanh': 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))",
      derivative: "Phi(x) + x phi(x) (crosses 0 at x = -0.7517915); 'tanh': the derivative of that formula (crosses 0 at -0.7524614)",
      params: "approximate = 'none' | 'tanh' (default 'none'; packed as 0 / 1)",
    },
    params: { approximate: { kind: 'enum', default: 'none', values: ['none', 'tanh'] } },
    toPacked: (v) => [v.approximate === 'tanh' ? 1 : 0],
    f: (x, p) => (p[0] !== 0 ? geluTanh(x) : gelu(x)),
    df: (x, p) => (p[0] !== 0 ? geluTanhGrad(x) : geluGrad(x)),
  },
  {
    name: 'mish', id: 16,
    doc: { formula: 'x tanh(softplus(x))', derivative: 'tanh(sp) + x sigmoid(x) (1 - tanh^2(sp)); crosses 0 at x = -1.1924312' },
    f: mish,
    df: mishGrad,
  },
  {
    name: 'hardSwish', aliases: ['hard_swish', 'hard_silu'], id: 17,
    doc: {
      formula: 'x relu6(x + 3) / 6',
      derivative: "0 if x <= -3, (2x + 3) / 6 if -3 < x < 3, 1 if x >= 3 (so 0 at -3 and 1 at 3; PyTorch's kernel gives -0.5 and 1.5 there)",
    },
    f: (x) => (x <= -3 ? 0 : x >= 3 ? x : (x * (x + 3)) / 6),
    df: (x) => (x <= -3 ? 0 : x >= 3 ? 1 : (2 * x + 3) / 6),
  },
] as const satisfies readonly Entry[];

function toSpec(e: Entry): ActivationSpec {
  return {
    name: e.name,
    aliases: e.aliases ?? [],
    id: e.id,
    doc: e.doc,
    paramNames: Object.keys(e.params ?? {}),
    pack: makePack(e),
    // NaN in gives NaN out even where the formula would compare it away (relu, step, ...).
    forward: (x, p) => (Number.isNaN(x) ? NaN : e.f(x, p)),
    backward: (x, dy, p) => (Number.isNaN(x) || Number.isNaN(dy) ? NaN : dy * e.df(x, p)),
  };
}

export const BUILTIN_ACTIVATIONS: readonly ActivationSpec[] = ENTRIES.map(toSpec);

type Spellings<E> = E extends { name: infer N; aliases: readonly (infer A)[] } ? N | A : E extends { name: infer N } ? N : never;
/** Every built-in activation's canonical name and aliases, as a type (src/names.ts builds on it). */
export type BuiltinActivationSpelling = Spellings<(typeof ENTRIES)[number]>;

const BY_NAME = new Map<string, ActivationSpec>();
const BY_FOLDED = new Map<string, ActivationSpec>();
const folded = new Map<string, string>();
/**
 * Lower case without '_' and '-': 'ReLU', 'LeakyRelu', 'hard-swish' as PyTorch / ONNX spell
 * them. Memoised (it runs on every op).
 */
export function foldName(name: string): string {
  let f = folded.get(name);
  if (f === undefined) {
    f = name.toLowerCase().replace(/[_-]/g, '');
    if (folded.size < 1024) folded.set(name, f);
  }
  return f;
}
for (const spec of BUILTIN_ACTIVATIONS) {
  for (const n of [spec.name, ...spec.aliases]) {
    BY_NAME.set(n, spec);
    BY_FOLDED.set(foldName(n), spec);
  }
}

/**
 * Canonical camelCase names and their aliases (Keras snake_case, `swish`, ...), then the same
 * names in any case and without '_' / '-' (PyTorch's 'ReLU', 'Hardswish', ONNX's 'LeakyRelu').
 */
export function findActivation(name: string): ActivationSpec | undefined {
  return BY_NAME.get(name) ?? BY_FOLDED.get(foldName(name));
}
