// Every activation, forward and backward: the float64 CPU reference against mpmath values, the
// GPU against that reference (4 ULP unless a bound below says otherwise), named edge cases,
// NaN and infinity, and the lengths that stress the dispatch (1, WG +- 1, a prime, > 65535 WGs).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../src/index';
import { VEC4_PER_INVOCATION } from '../src/kernels/activation';
import { BUILTIN_ACTIVATIONS, findActivation } from '../src/activations/table';
import type { ActivationParams, ActivationSpec } from '../src/activations/types';
import { erf, erfc, normalCdf } from '../src/activations/special';
import { expectUlp, ulpAt, ulpReport } from './util/compare';
import mpmathTable from './activations.mpmath.json';

/** Seeded uniform [0, 1): a failing seed is a bug report. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The float32 `k` steps away from x (walks the bit pattern). */
function f32Step(x: number, k: number): number {
  const f = new Float32Array([x]);
  const u = new Int32Array(f.buffer);
  u[0] += x < 0 ? -k : k;
  return f[0];
}

const NAMED = [0, -0, 1e-30, -1e-30, 0.5, -0.5, 1, -1, 10, -10, 20, -20, 88, -88, 89, -89, 100, -100, 1e4, -1e4,
  3.4e38, -3.4e38, Infinity, -Infinity, NaN, 1.4e-45, -1.4e-45, 3, -3, 6, -6, 2.5, -2.5, 0.25, 7, 9];
// Roots of silu', gelu', mish' and the tanh-gelu', kinks, and the seams between the pieces of
// the WGSL formulas; 200 neighbouring floats on each side of each.
const DENSE_AROUND = [-1.2784645427610737, -0.7517915246935645, -1.1924312145154952, -0.7524614220710163,
  -2 / 3, -1.7, -0.86, -1.61, -0.77, -1.15, -0.35, -0.675, 0.675, 0.55, -0.55, 1.5, 3, 5, 9.5, 0.3465,
  // Seams of the branch-free forms: softplus' 1 + e^-|x| crossing sqrt 2, tanh's e^-2|x| - 1
  // changing its 2^n (n = 0 to -1) and its clamp at |x| = 10, e^x - 1 switching form at n = 24.
  0.8813735870195430, -0.8813735870195430, 0.17328679513998632, -0.17328679513998632, 10, -10, 16.9824582, -16.9824582];

function makeInputs(): { x: Float32Array; dy: Float32Array; named: number } {
  const r = rng(20240611);
  const xs: number[] = [...NAMED];
  for (const c of DENSE_AROUND) for (let k = -200; k <= 200; k++) xs.push(f32Step(c, k));
  for (let i = 0; i < 50_000; i++) xs.push(r() * 20 - 10);
  const lo = Math.log(1e-30), hi = Math.log(1e4);
  for (let i = 0; i < 50_000; i++) xs.push((r() < 0.5 ? -1 : 1) * Math.exp(lo + r() * (hi - lo)));
  const x = Float32Array.from(xs);
  // dy = 1 on the named inputs (so their gradient is f'(x) itself), uniform in [-1, 1] elsewhere.
  const dy = Float32Array.from(xs, (_, i) => (i < NAMED.length ? 1 : r() * 2 - 1));
  return { x, dy, named: NAMED.length };
}

/** fwdUlp / bwdUlp: a looser bound for one function, with the reason beside it (none needed now). */
interface Variant { name: string; params?: ActivationParams; fwdUlp?: number; bwdUlp?: number }
const VARIANTS: Variant[] = [
  ...BUILTIN_ACTIVATIONS.map((s) => ({ name: s.name })),
  { name: 'linear', params: { a: 1.5, b: 1 } },
  { name: 'linear', params: { a: -2.5, b: 0 } },  // b = 0 and a = 1 take one-rounding paths
  { name: 'linear', params: { a: 1, b: -3 } },
  { name: 'hardSigmoid', params: { alpha: 1, beta: 0.25 } },
  { name: 'step', params: { bipolar: true } },
  { name: 'leakyRelu', params: { alpha: 0.01 } },
  { name: 'elu', params: { alpha: 2 } },
  { name: 'celu', params: { alpha: 0.5 } },
  { name: 'celu', params: { alpha: -1 } },   // e^(x/alpha) - 1 with a positive argument (up to overflow)
  { name: 'hardSigmoid', params: { alpha: 1 / 6, beta: 0.5 } },
  { name: 'gelu', params: { approximate: 'tanh' } },
];

const label = (v: Variant) => v.name + (v.params ? JSON.stringify(v.params) : '');
const spec = (name: string): ActivationSpec => {
  const s = findActivation(name);
  if (!s) throw new Error(`no activation ${name}`);
  return s;
};

describe('activation table', () => {
  it('has unique ids below 1000 and unique names and aliases', () => {
    const ids = BUILTIN_ACTIVATIONS.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.max(...ids)).toBeLessThan(1000);
    const names = BUILTIN_ACTIVATIONS.flatMap((s) => [s.name, ...s.aliases]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('finds canonical names and Keras / PyTorch aliases, then case- and separator-folded spellings', () => {
    expect(findActivation('leaky_relu')?.name).toBe('leakyRelu');
    expect(findActivation('hard_sigmoid')?.name).toBe('hardSigmoid');
    expect(findActivation('swish')?.name).toBe('silu');
    expect(findActivation('hard_swish')?.name).toBe('hardSwish');
    expect(findActivation('relu6')?.name).toBe('relu6');
    expect(findActivation('linear')?.name).toBe('linear');
    expect(findActivation('Sigmoid')?.name).toBe('sigmoid');
    expect(findActivation('LeakyRelu')?.name).toBe('leakyRelu');
    expect(findActivation('nope')).toBeUndefined();
  });

  it('packs defaults and rejects bad parameters by name', () => {
    expect(spec('leakyRelu').pack(undefined)).toEqual([Math.fround(0.2), 0, 0, 0]);
    expect(spec('gelu').pack({ approximate: 'tanh' })[0]).toBe(1);
    expect(spec('step').pack({ bipolar: true })[0]).toBe(1);
    expect(() => spec('leakyRelu').pack({ alfa: 0.1 })).toThrow("leakyRelu: unknown parameter 'alfa' (expected alpha)");
    expect(() => spec('relu').pack({ alpha: 1 })).toThrow(/relu: unknown parameter 'alpha' \(takes no parameters\)/);
    expect(() => spec('elu').pack({ alpha: '1' as never })).toThrow(/elu: parameter 'alpha' must be a number/);
    expect(() => spec('elu').pack({ alpha: NaN })).toThrow(/elu: parameter 'alpha' must be a finite/);
    expect(() => spec('linear').pack({ a: 1e39 })).toThrow(/linear: parameter 'a' must be a finite float32/);
    expect(() => spec('step').pack({ bipolar: 1 as never })).toThrow(/step: parameter 'bipolar' must be a boolean/);
    expect(() => spec('gelu').pack({ approximate: 'erf' })).toThrow(/gelu: parameter 'approximate' must be one of 'none', 'tanh'/);
    expect(() => spec('celu').pack({ alpha: 0 })).toThrow(/celu: parameter 'alpha' must be non-zero/);
  });
});

describe('CPU reference (float64) against mpmath', () => {
  it('erf, erfc and Phi reach ~1e-15 relative at checked points', () => {
    // Values from mpmath (50 digits), rounded to float64.
    expect(Math.abs(erf(0.5) / 0.5204998778130465 - 1)).toBeLessThan(2e-15);
    expect(Math.abs(erf(1e-10) / 1.1283791670955126e-10 - 1)).toBeLessThan(2e-15);
    expect(Math.abs(erfc(3) / 2.209049699858544e-05 - 1)).toBeLessThan(1e-14);
    expect(Math.abs(erfc(10) / 2.088487583762545e-45 - 1)).toBeLessThan(1e-13);
    expect(Math.abs(normalCdf(-1) / 0.15865525393145705 - 1)).toBeLessThan(2e-15);
    expect(Math.abs(normalCdf(-13) / 6.11716439954988e-39 - 1)).toBeLessThan(1e-14);
  });

  const table = mpmathTable as { inputs: number[]; variants: { name: string; params: ActivationParams; forward: number[]; derivative: number[] }[] };
  for (const v of table.variants) {
    it(`${v.name}${JSON.stringify(v.params)} is within 1 ULP of the correctly rounded value`, () => {
      const s = spec(v.name);
      const p = s.pack(v.params);
      const fwd = table.inputs.map((x) => s.forward(x, p));
      const bwd = table.inputs.map((x) => s.backward(x, 1, p));
      expectUlp(`${v.name} forward (cpu)`, Float32Array.from(fwd), v.forward, 1, { inputs: table.inputs, flushSubnormal: false });
      expectUlp(`${v.name} derivative (cpu)`, Float32Array.from(bwd), v.derivative, 1, { inputs: table.inputs, flushSubnormal: false });
    });
  }
});

describe('CPU backend', () => {
  it('runs the table reference for every activation, forward and backward', async () => {
    const cpu = await createRuntime({ backend: 'cpu' });
    const { x, dy } = makeInputs();
    const xs = x.subarray(0, 5000);
    const dys = dy.subarray(0, 5000);
    try {
      for (const v of VARIANTS) {
        const s = spec(v.name);
        const p = s.pack(v.params);
        const xt = cpu.tensor(xs);
        const dyt = cpu.tensor(dys);
        const y = await cpu.activation(v.name, xt, v.params).read();
        const dx = await cpu.activationGrad(v.name, xt, dyt, v.params).read();
        expectUlp(`${label(v)} forward (cpu backend)`, y, Array.from(xs, (xi) => s.forward(xi, p)), 0, { inputs: xs, flushSubnormal: false });
        expectUlp(`${label(v)} backward (cpu backend)`, dx, Array.from(xs, (xi, i) => s.backward(xi, dys[i], p)), 0, { inputs: xs, flushSubnormal: false });
      }
    } finally {
      cpu.dispose();
    }
  });
});

describe('conventions (CPU reference)', () => {
  const f = (name: string, x: number, params?: ActivationParams) => spec(name).forward(x, spec(name).pack(params));
  const d = (name: string, x: number, params?: ActivationParams) => spec(name).backward(x, 1, spec(name).pack(params));
  it('exact at the kinks', () => {
    expect(f('step', 0)).toBe(1);
    expect(f('step', -0)).toBe(1);
    expect(f('step', -1, { bipolar: true })).toBe(-1);
    expect(d('relu', 0)).toBe(0);
    expect(d('relu6', 0)).toBe(0);
    expect(d('relu6', 6)).toBe(0);
    expect(d('leakyRelu', 0)).toBe(Math.fround(0.2));
    expect(d('hardSigmoid', -2.5)).toBe(0);
    expect(d('hardSigmoid', 2.5)).toBe(0);
    expect(d('hardSwish', -3)).toBe(0);
    expect(d('hardSwish', 3)).toBe(1);
    expect(d('elu', 0)).toBe(1);
  });
  it('reproduces the seeds: sigmoid([0.25, 7, 9, 20])', () => {
    expect([0.25, 7, 9, 20].map((x) => f('sigmoid', x))).toEqual([0.5621765008857981, 0.9990889488055994, 0.9998766054240137, 0.9999999979388463]);
    expect(Math.fround(f('sigmoid', 20))).toBe(1);
    expect(f('linear', 2, { a: 1.5, b: 1 })).toBe(4);
  });
});

describe('GPU against the CPU reference', () => {
  let rt: Runtime;
  const { x, dy, named } = makeInputs();
  beforeAll(async () => {
    rt = await createRuntime();
  });
  afterAll(() => rt?.dispose());

  async function run(v: Variant, xs: Float32Array, dys: Float32Array) {
    const xt = rt.tensor(xs);
    const dyt = rt.tensor(dys);
    const y = rt.activation(v.name, xt, v.params);
    const dx = rt.activationGrad(v.name, xt, dyt, v.params);
    const out = { y: await y.read(), dx: await dx.read() };
    for (const t of [xt, dyt, y, dx]) t.dispose();
    return out;
  }

  for (const v of VARIANTS) {
    it(`${label(v)}: forward and backward within ${v.fwdUlp ?? 4}/${v.bwdUlp ?? 4} ULP; NaN propagates; limits at +-Inf`, async () => {
      const s = spec(v.name);
      const p = s.pack(v.params);
      const { y, dx } = await run(v, x, dy);
      // WGSL lets an implementation flush subnormal inputs to zero (SwiftShader does): for
      // those, the value at the signed zero is as correct as the value at x.
      const flushed = (xi: number) => (xi !== 0 && Math.abs(xi) < 2 ** -126 ? (xi < 0 ? -0 : 0) : xi);
      const nearer = (got: number, a: number, b: number) => (ulpAt(got, b) < ulpAt(got, a) ? b : a);
      const refY = Array.from(x, (xi, i) => nearer(y[i], s.forward(xi, p), s.forward(flushed(xi), p)));
      const refDx = Array.from(x, (xi, i) => nearer(dx[i], s.backward(xi, dy[i], p), s.backward(flushed(xi), flushed(dy[i]), p)));
      const fr = expectUlp(`${label(v)} forward (gpu)`, y, refY, v.fwdUlp ?? 4, { inputs: x });
      const br = expectUlp(`${label(v)} backward (gpu)`, dx, refDx, v.bwdUlp ?? 4, { inputs: x });
      if (process.env.ACT_REPORT) {
        console.log(`ULP ${label(v)} fwd ${fr.worst} (x=${x[fr.worstIndex]}) bwd ${br.worst} (x=${x[br.worstIndex]})`);
      }
      // Named inputs (dy = 1) include NaN and both infinities: those must match exactly.
      for (let i = 0; i < named; i++) {
        if (!Number.isFinite(x[i])) {
          expect(ulpAt(y[i], refY[i]), `${label(v)}(${x[i]})`).toBe(0);
          expect(ulpAt(dx[i], refDx[i]), `${label(v)}'(${x[i]})`).toBe(0);
        }
      }
    });
  }

  it('propagates NaN from dy through every backward', async () => {
    const xs = Float32Array.from([0, 1, -1, -3, 3, 6, 100, -100]);
    const dys = new Float32Array(xs.length).fill(NaN);
    for (const v of VARIANTS) {
      const { dx } = await run(v, xs, dys);
      expect(Array.from(dx).every(Number.isNaN), label(v)).toBe(true);
    }
  });

  it('linear keeps IEEE signed zeros on each of its paths', async () => {
    const xs = Float32Array.from([-0, 0]);
    const ones = Float32Array.from([1, 1]);
    const cases: [ActivationParams | undefined, number[]][] = [
      [undefined, [0, 0]], // 1 * -0 + 0 = +0
      [{ a: 2, b: -0 }, [-0, 0]],
      [{ a: -1, b: 0 }, [0, 0]],
      [{ a: 1, b: -0 }, [-0, 0]],
      [{ a: 1.5, b: -0 }, [-0, 0]],
    ];
    for (const [params, want] of cases) {
      const { y } = await run({ name: 'linear', params }, xs, ones);
      expect(Array.from(y).map((v) => Object.is(v, -0)), JSON.stringify(params)).toEqual(want.map((v) => Object.is(v, -0)));
    }
  });

  it('limits at infinity', async () => {
    const xs = Float32Array.from([-Infinity, Infinity]);
    const ones = Float32Array.from([1, 1]);
    const expectPair = async (name: string, fwd: number[], bwd: number[]) => {
      const { y, dx } = await run({ name }, xs, ones);
      expect(Array.from(y), name).toEqual(fwd);
      expect(Array.from(dx), `${name}'`).toEqual(bwd);
    };
    await expectPair('sigmoid', [0, 1], [0, 0]);
    await expectPair('tanh', [-1, 1], [0, 0]);
    await expectPair('relu', [0, Infinity], [0, 1]);
    await expectPair('softplus', [0, Infinity], [0, 1]);
    await expectPair('softsign', [-1, 1], [0, 0]);
  });

  it('sigmoid(-x) = 1 - sigmoid(x) and tanh is odd', async () => {
    const xs = x.subarray(named, named + 20_000);
    const neg = xs.map((v) => -v);
    const a = await run({ name: 'sigmoid' }, xs, xs);
    const b = await run({ name: 'sigmoid' }, neg, neg);
    const sum = Array.from(a.y, (v, i) => v + b.y[i]);
    expect(ulpReport(Float32Array.from(sum), new Array(sum.length).fill(1), 1).failures).toBe(0);
    const t = await run({ name: 'tanh' }, xs, xs);
    const tn = await run({ name: 'tanh' }, neg, neg);
    expect(Array.from(tn.y)).toEqual(Array.from(t.y, (v) => -v));
  });

  // 1, WG +- 1 invocations' worth of vec4s, one workgroup's span (WG * VPI vec4s) +- 1 element, a prime
  const span = 256 * 4 * VEC4_PER_INVOCATION;
  for (const n of [1, 255, 256, 257, 1023, 1024, 1025, span - 1, span, span + 1, 1_000_003]) {
    it(`odd lengths: sigmoid and its gradient over ${n} elements`, async () => {
      const r = rng(n);
      const xs = Float32Array.from({ length: n }, () => r() * 40 - 20);
      const dys = Float32Array.from({ length: n }, () => r() * 2 - 1);
      const s = spec('sigmoid');
      const p = s.pack(undefined);
      const { y, dx } = await run({ name: 'sigmoid' }, xs, dys);
      expectUlp(`sigmoid forward n=${n}`, y, Array.from(xs, (v) => s.forward(v, p)), 4, { inputs: xs });
      expectUlp(`sigmoid backward n=${n}`, dx, Array.from(xs, (v, i) => s.backward(v, dys[i], p)), 4, { inputs: xs });
    });
  }

  it('past 65,535 workgroups (of 16 invocations here): relu over 16,777,259 elements', async () => {
    const n = 16_777_259;
    expect(Math.ceil(n / (16 * 4 * VEC4_PER_INVOCATION))).toBeGreaterThan(65_535);
    const small = await createRuntime({ workgroupSize: 16 });
    const xs = new Float32Array(n);
    for (let i = 0; i < n; i++) xs[i] = (i % 7) - 3 + i * 1e-7;
    const xt = small.tensor(xs);
    const y = await small.activation('relu', xt).read();
    small.dispose();
    let bad = -1;
    for (let i = 0; i < n && bad < 0; i++) if (y[i] !== (xs[i] > 0 ? xs[i] : 0)) bad = i;
    expect(bad, `first wrong index ${bad}`).toBe(-1);
  });
});
