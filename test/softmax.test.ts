// Softmax and log-softmax, forward and backward, on the Dawn adapter: the seeds' examples, a
// table of row lengths that stresses every layout (one invocation per row, one workgroup per
// row, chunked long rows, strided axes), named edge cases, properties, gradients against the
// CPU path and finite differences, determinism, the binding limit and bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, NNError, type Runtime, type Tensor } from '../src/index';
import { expectUlp, ulpReport } from './util/compare';
import { LANE_ROW, longPlan, rowPlan } from '../src/kernels/softmax';
import type { DeviceProfile, KernelTuning } from '../src/gpu/profile';

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

function randomLogits(n: number, seed: number, spread = 20): Float32Array {
  const r = rng(seed);
  return new Float32Array(n).map(() => (r() - 0.5) * spread);
}

/** Correctly rounded reference in float64, rows along the last axis. */
function refSoftmax(x: Float32Array, len: number, log: boolean): Float64Array {
  const y = new Float64Array(x.length);
  for (let o = 0; o < x.length; o += len) {
    let m = -Infinity;
    for (let k = 0; k < len; k++) m = Math.max(m, x[o + k]);
    // log(sum) as log1p(rest) when one entry is the max: log(1 + rest) in float64 loses rest's low digits
    let count = 0;
    let rest = 0;
    for (let k = 0; k < len; k++) {
      if (x[o + k] === m) count++;
      else rest += Math.exp(x[o + k] - m);
    }
    const s = count + rest;
    const ls = count === 1 ? Math.log1p(rest) : Math.log(s);
    for (let k = 0; k < len; k++) y[o + k] = log ? x[o + k] - m - ls : Math.exp(x[o + k] - m) / s;
  }
  return y;
}

let rt: Runtime;
let cpu: Runtime;
beforeAll(async () => {
  rt = await createRuntime();
  cpu = await createRuntime({ backend: 'cpu' });
});
afterAll(() => {
  rt?.dispose();
  cpu?.dispose();
});

const read = (t: Tensor) => t.read();

/**
 * Runs `f` on a runtime whose row plan is pinned (its own device): `subgroups: false` forces the
 * workgroup-memory reductions, `profile` replaces other device facts, `tuning` fixes choices the
 * plan would make; the shared runtime otherwise.
 */
async function pinned<T>(opts: { subgroups?: boolean; tuning?: KernelTuning; profile?: Partial<DeviceProfile> }, f: (r: Runtime) => Promise<T>): Promise<T> {
  if (opts.subgroups !== false && !opts.tuning && !opts.profile) return f(rt);
  const r = await createRuntime({ profile: { ...opts.profile, ...(opts.subgroups === false ? { subgroupSize: 0 } : {}) }, tuning: opts.tuning });
  try {
    return await f(r);
  } finally {
    r.dispose();
  }
}

describe('softmax: the seeds', () => {
  for (const [name, r] of [['gpu', () => rt], ['cpu', () => cpu]] as const) {
    it(`softmax([2, 10, 1, 4]) = [0.000334, 0.997071, 0.000123, 0.002471] (${name})`, async () => {
      const y = await read(r().softmax(r().tensor([2, 10, 1, 4])));
      [0.000334, 0.997071, 0.000123, 0.002471].forEach((v, i) => expect(y[i]).toBeCloseTo(v, 6));
    });
    it(`softmax([1.3, 5.1, 2.2, 0.7, 1.1]) as printed (${name})`, async () => {
      const y = await read(r().softmax(r().tensor([1.3, 5.1, 2.2, 0.7, 1.1])));
      [0.02019047, 0.9025377, 0.04966054, 0.01108076, 0.01653056].forEach((v, i) => expect(Math.abs(y[i] - v)).toBeLessThan(2e-8));
    });
  }
});

describe('softmax: accuracy table (4 ULP of the correctly rounded value)', () => {
  // 1, WG-1, WG, WG+1 of each layout, primes, the chunk boundary and long rows.
  const lengths = [1, 2, 3, 5, 10, 15, 16, 17, 63, 64, 65, 255, 256, 257, 1000, 1021, 2048, 4096, 4097, 8191, 8192, 8193, 20011, 65536];
  for (const len of lengths) {
    const rows = Math.max(1, Math.min(64, Math.floor(65536 / len)));
    for (const log of [false, true]) {
      const op = log ? 'logSoftmax' : 'softmax';
      it(`${op} rows of ${len}`, async () => {
        const x = randomLogits(rows * len, len * 7 + (log ? 1 : 0));
        const y = await read(log ? rt.logSoftmax(rt.tensor(x, [rows, len])) : rt.softmax(rt.tensor(x, [rows, len])));
        const ref = refSoftmax(x, len, log);
        const rep = expectUlp(`${op}.forward [${rows}, ${len}]`, y, ref, 4, { inputs: x });
        if (len > 4096) console.log(`${op} [${rows}, ${len}]: worst ${rep.worst} ULP`);
      });
    }
  }

  it('non-last axes (strided layout) match the reference', async () => {
    const shape = [3, 37, 5];
    const x = randomLogits(3 * 37 * 5, 99);
    for (const axis of [0, 1, -2, -3]) {
      for (const log of [false, true]) {
        const ax = axis < 0 ? axis + 3 : axis;
        const got = await read(log ? rt.logSoftmax(rt.tensor(x, shape), { axis }) : rt.softmax(rt.tensor(x, shape), { axis }));
        const want = await read(log ? cpu.logSoftmax(cpu.tensor(x, shape), { axis }) : cpu.softmax(cpu.tensor(x, shape), { axis }));
        expectUlp(`softmax axis ${axis} (${ax}) log=${log}`, got, want, 4);
      }
    }
  });

  it('more than 65,535 rows (folded grid), short and medium rows', async () => {
    for (const len of [7, 20]) {
      const rows = 70001;
      const x = randomLogits(rows * len, len);
      const y = await read(rt.softmax(rt.tensor(x, [rows, len])));
      expectUlp(`softmax [${rows}, ${len}]`, y, refSoftmax(x, len, false), 4);
    }
  });
});

describe('softmax: register kernels (rows_lane, rows_reg) with subgroup and workgroup-memory reductions', () => {
  // around LANE_ROW, the exact / rounded slot counts (4 * 8 * WG), vec4 and scalar rows, and the
  // longest rows rows_reg takes (4 * KMAX * WG: 2048 with 8 lanes, 4096 with 16) and one past them
  const lengths = [1, 3, 4, LANE_ROW - 1, LANE_ROW, LANE_ROW + 1, 31, 32, 33, 255, 256, 257, 1000, 1021, 2047, 2048, 2049, 4095, 4096, 4097];
  const variants = [
    { name: 'subgroups', subgroups: true, rows: 0 },
    { name: 'workgroup memory', subgroups: false, rows: 0 },
    { name: 'subgroups, 3 rows per workgroup', subgroups: true, rows: 3 },
  ];
  for (const v of variants) {
    it(`${v.name}: 4 ULP, bad rows NaN, -Infinity entries 0, deterministic`, async () => {
      await pinned({ subgroups: v.subgroups, tuning: v.rows > 0 ? { rowsPerGroup: v.rows } : undefined }, async (rt) => {
        for (const len of lengths) {
          const rows = len <= 1100 ? (v.rows > 0 ? 133 : 67) : 11;
          const x = randomLogits(rows * len, len * 13 + 1);
          // row 1: NaN; row 2: all -Infinity; row 3: +Infinity; row 4: -Infinity entries
          x[len + (len >> 1)] = NaN;
          x.fill(-Infinity, 2 * len, 3 * len);
          x[3 * len + len - 1] = Infinity;
          for (let k = 0; k < len; k += 3) x[4 * len + k] = -Infinity;
          // (a row of length 1 holding -Infinity is all -Infinity)
          const bad = (r: number) => (r >= 1 && r <= 3) || (r === 4 && len === 1);
          for (const log of [false, true]) {
            const t = rt.tensor(x, [rows, len]);
            const y = await read(log ? rt.logSoftmax(t) : rt.softmax(t));
            const again = await read(log ? rt.logSoftmax(t) : rt.softmax(t));
            t.dispose();
            expect(Array.from(new Uint32Array(again.buffer))).toEqual(Array.from(new Uint32Array(y.buffer)));
            const ref = refSoftmax(x, len, log);
            for (let r = 0; r < rows; r++) {
              const ys = y.slice(r * len, (r + 1) * len);
              if (bad(r)) {
                expect(ys.every(Number.isNaN), `${v.name} len ${len} row ${r}`).toBe(true);
                continue;
              }
              if (r === 4) {
                for (let k = 0; k < len; k += 3) expect(ys[k]).toBe(log ? -Infinity : 0);
              }
            }
            const clean = (a: ArrayLike<number>) => Array.from(a).filter((_, i) => !bad(Math.floor(i / len)));
            expectUlp(`${v.name} ${log ? 'logSoftmax' : 'softmax'} [${rows}, ${len}]`, clean(y), clean(ref), 4);
            if (!log) {
              for (let r = 0; r < rows; r++) {
                if (bad(r)) continue;
                let s = 0;
                for (let k = 0; k < len; k++) s += y[r * len + k];
                expect(Math.abs(s - 1), `row ${r} of ${len} sums to 1`).toBeLessThan(1e-6);
              }
            }
          }
        }
      });
    }, 300000);
  }

  it('uses subgroups exactly when the adapter has them with one subgroup size', async () => {
    const s = rt.scheduler!;
    const info = (s.device as GPUDevice & { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } }).adapterInfo;
    const expected = s.device.features.has('subgroups') && !!info?.subgroupMinSize && info.subgroupMinSize === info.subgroupMaxSize;
    const plan = rowPlan(s);
    expect(plan.subgroups).toBe(expected);
    if (plan.subgroups) expect(plan.WG).toBe(info!.subgroupMinSize);
    expect(rowPlan(s)).toBe(plan);
    await pinned({ subgroups: false }, async (r) => {
      expect(rowPlan(r.scheduler!).subgroups).toBe(false);
      expect(rowPlan(r.scheduler!).WG).toBe(rowPlan(r.scheduler!).G ** 2);
    });
  });

  it('more than 65,535 workgroups of rows_reg (one row each) fold into a 2-D grid', async () => {
    await pinned({ tuning: { rowsPerGroup: 1 } }, async (rt) => {
      const rows = 70001;
      const len = 20;
      const x = randomLogits(rows * len, 17);
      for (const log of [false, true]) {
        const y = await read(log ? rt.logSoftmax(rt.tensor(x, [rows, len])) : rt.softmax(rt.tensor(x, [rows, len])));
        expectUlp(`rows_reg [${rows}, ${len}] log=${log}`, y, refSoftmax(x, len, log), 4);
      }
    });
  }, 60000);
});

describe('softmax: long rows (rows_long; long_stats + long_write) with subgroup and workgroup-memory reductions', () => {
  // around rows_reg's limit (2048 with 8 lanes, 4096 with 16), vec4 and scalar rows, chunk
  // boundaries (automatic: 2 chunks from 2 * 65536 on CPU adapters with few rows; forced: ~5000)
  const lengths = [2048, 2049, 4096, 4097, 5119, 5120, 5121, 8192, 8193, 20011, 131072, 131075, 262147];
  const variants = [
    { name: 'subgroups', subgroups: true, longChunk: 0 },
    { name: 'workgroup memory', subgroups: false, longChunk: 0 },
    { name: 'subgroups, chunks of ~5000', subgroups: true, longChunk: 5000 },
    { name: 'workgroup memory, chunks of ~5000', subgroups: false, longChunk: 5000 },
  ];
  function check(name: string, x: Float32Array, rows: number, len: number, log: boolean, y: Float32Array, bad: (r: number) => boolean) {
    const ref = refSoftmax(x, len, log);
    for (let r = 0; r < rows; r++) {
      const ys = y.subarray(r * len, (r + 1) * len);
      if (bad(r)) {
        expect(ys.every(Number.isNaN), `${name} len ${len} row ${r} is NaN`).toBe(true);
        continue;
      }
      expectUlp(`${name} ${log ? 'logSoftmax' : 'softmax'} [${rows}, ${len}] row ${r}`, ys, ref.subarray(r * len, (r + 1) * len), 4);
      if (r === 4) {
        for (let k = 0; k < len; k += 3) expect(ys[k]).toBe(log ? -Infinity : 0);
      }
      if (!log) {
        let s = 0;
        for (let k = 0; k < len; k++) s += ys[k];
        expect(Math.abs(s - 1), `${name} row ${r} of ${len} sums to 1`).toBeLessThan(1e-6);
      }
    }
  }
  function badRows(x: Float32Array, len: number): (r: number) => boolean {
    // row 1: NaN; row 2: all -Infinity; row 3: +Infinity; row 4: -Infinity entries
    x[len + (len >> 1)] = NaN;
    x.fill(-Infinity, 2 * len, 3 * len);
    x[3 * len + len - 1] = Infinity;
    for (let k = 0; k < len; k += 3) x[4 * len + k] = -Infinity;
    return (r) => r >= 1 && r <= 3;
  }
  for (const v of variants) {
    it(`${v.name}: 4 ULP, bad rows NaN, -Infinity entries 0, deterministic`, async () => {
      await pinned({ subgroups: v.subgroups, tuning: v.longChunk > 0 ? { longChunk: v.longChunk } : undefined }, async (rt) => {
        for (const len of lengths) {
          const rows = 6;
          const x = randomLogits(rows * len, len * 17 + 5);
          const bad = badRows(x, len);
          for (const log of [false, true]) {
            const t = rt.tensor(x, [rows, len]);
            const y = await read(log ? rt.logSoftmax(t) : rt.softmax(t));
            const again = await read(log ? rt.logSoftmax(t) : rt.softmax(t));
            t.dispose();
            expect(firstBitDifference(again, y), `${v.name} len ${len} deterministic`).toBe(-1);
            check(v.name, x, rows, len, log, y, bad);
          }
        }
      });
    }, 180000);
  }

  it('rows of 2^20 + 3 (scalar loads), one or several chunks per row, NaN and -Infinity rows', async () => {
    for (const len of [2 ** 20 + 3]) {
      const rows = 5;
      const x = randomLogits(rows * len, 99 + len, 40);
      const bad = badRows(x, len);
      // 5 rows: 2 chunks each on CPU adapters (automatic); then one workgroup per row (forced)
      for (const longChunk of [0, len]) {
        await pinned({ tuning: longChunk > 0 ? { longChunk } : undefined }, async (rt) => {
          for (const log of [false, true]) {
            const y = await read(log ? rt.logSoftmax(rt.tensor(x, [rows, len])) : rt.softmax(rt.tensor(x, [rows, len])));
            check(`chunk ${longChunk}`, x, rows, len, log, y, bad);
          }
        });
      }
    }
  }, 180000);

  it('plans one workgroup per row with enough rows, else chunks of whole vec4 groups', () => {
    const plan = rowPlan(rt.scheduler!);
    const WG = plan.WG;
    expect(longPlan(plan, 64, 2 ** 20)).toEqual({ nchunk: 1, chunk: 2 ** 20 });
    const p = longPlan(plan, 1, 2 ** 20 + 3);
    expect(p.nchunk).toBeGreaterThan(1);
    expect(p.chunk % (4 * WG)).toBe(0);
    expect((p.nchunk - 1) * p.chunk).toBeLessThan(2 ** 20 + 3);
    expect(p.nchunk * p.chunk).toBeGreaterThanOrEqual(2 ** 20 + 3);
  });

  it('log-softmax of a dominant class in a long row keeps full accuracy, one chunk or several', async () => {
    const len = 200003;
    const x = new Float32Array(len).fill(-40);
    x[123457] = 0;
    x[7] = -20;
    for (const longChunk of [0, 5000]) {
      await pinned({ tuning: longChunk > 0 ? { longChunk } : undefined }, async (rt) => {
        const y = await read(rt.logSoftmax(rt.tensor(x, [1, len])));
        expectUlp(`dominant class, chunk ${longChunk}`, y, refSoftmax(x, len, true), 4);
      });
    }
  });

  it('splits long rows past the binding limit', async () => {
    const small = await createRuntime({ maxBindingBytes: 1 << 16 });
    try {
      for (const len of [5000, 5003, 16000]) {
        const rows = 9;
        const x = randomLogits(rows * len, len);
        const bad = badRows(x, len);
        for (const log of [false, true]) {
          const y = await read(log ? small.logSoftmax(small.tensor(x, [rows, len])) : small.softmax(small.tensor(x, [rows, len])));
          check(`split ${len}`, x, rows, len, log, y, bad);
        }
      }
    } finally {
      small.dispose();
    }
  }, 60000);
});

describe("softmax: a GPU profile's plans, run here", () => {
  // On a CPU adapter the plan for GPUs (8 register slots per lane, 64 lanes or the subgroup,
  // 256-lane rows from 2048 elements) never runs by itself; the profile override makes it.
  for (const subgroups of [true, false]) {
    it(`${subgroups ? 'subgroups' : 'workgroup memory'}: 4 ULP forward, gradients and cross-entropy match the CPU path`, async () => {
      await pinned({ subgroups, profile: { software: false } }, async (rt) => {
        const plan = rowPlan(rt.scheduler!);
        expect(plan.kmax).toBe(8);
        if (!subgroups) expect(plan.WG).toBe(64);
        for (const len of [17, 300, 2048, 2049, 3000, 9000]) {
          const rows = 5;
          const x = randomLogits(rows * len, len * 5 + 3);
          const t = new Float32Array(rows * len);
          for (let r = 0; r < rows; r++) t[r * len + ((r * 13) % len)] = 1;
          for (const log of [false, true]) {
            const y = await read(log ? rt.logSoftmax(rt.tensor(x, [rows, len])) : rt.softmax(rt.tensor(x, [rows, len])));
            expectUlp(`GPU plan ${log ? 'logSoftmax' : 'softmax'} [${rows}, ${len}]`, y, refSoftmax(x, len, log), 4);
          }
          const opts = { fromLogits: true, reduction: 'none' as const };
          const [loss, grad] = await Promise.all([rt, cpu].map(async (r) => {
            const b = r.lossAndGrad('categoricalCrossentropy', r.tensor(x, [rows, len]), r.tensor(t, [rows, len]), opts);
            return [await read(b.loss), await read(b.grad)];
          })).then(([g, c]) => [[g[0], c[0]], [g[1], c[1]]]);
          for (let i = 0; i < loss[0].length; i++) expect(Math.abs(loss[0][i] - loss[1][i]), `loss [${len}] row ${i}`).toBeLessThanOrEqual(1e-6 * Math.abs(loss[1][i]) + 1e-7);
          for (let i = 0; i < grad[0].length; i++) expect(Math.abs(grad[0][i] - grad[1][i]), `grad [${len}] ${i}`).toBeLessThanOrEqual(1e-5 * Math.abs(grad[1][i]) + 1e-7);
        }
      });
    }, 300000);
  }
});

describe('softmax: named edge cases', () => {
  const cases: [string, number[], number[]][] = [
    ['overflow: [1000, 1001, 1002]', [1000, 1001, 1002], refRow([0, 1, 2])],
    ['underflow: [-1000, -1001, -1002]', [-1000, -1001, -1002], refRow([0, -1, -2])],
    ['huge difference: [-1000, 1000]', [-1000, 1000], [0, 1]],
    ['length-1 row', [3.5], [1]],
    ['-Infinity entries are exactly 0', [-Infinity, 1, 2, -Infinity], [0, ...refRow([1, 2]), 0]],
    ['equal values', [4, 4, 4, 4, 4], [0.2, 0.2, 0.2, 0.2, 0.2]],
  ];
  function refRow(x: number[]): number[] {
    return Array.from(refSoftmax(Float32Array.from(x), x.length, false));
  }
  for (const [name, x, want] of cases) {
    it(name, async () => {
      for (const r of [rt, cpu]) {
        const y = await read(r.softmax(r.tensor(x)));
        expectUlp(name, y, want, 2);
        const ly = await read(r.logSoftmax(r.tensor(x)));
        const logWant = name.startsWith('huge') ? [-2000, 0] : want.map(Math.log);
        expectUlp(`log ${name}`, ly, logWant, 2);
      }
    });
  }

  it('log-softmax of a dominant class keeps full accuracy (log1p of the rest)', async () => {
    for (const r of [rt, cpu]) {
      const y = await read(r.logSoftmax(r.tensor([[30, 0, 0], [0, -25, 3]])));
      const want = [-Math.log1p(2 * Math.exp(-30)), -30 - Math.log1p(2 * Math.exp(-30)), -30 - Math.log1p(2 * Math.exp(-30))];
      const row2 = refSoftmax(Float32Array.from([0, -25, 3]), 3, true);
      expectUlp('dominant class', y, [...want, ...row2], 2);
    }
  });

  it('propagates NaN, +Infinity and all -Infinity to that row only', async () => {
    const x = [
      [1, NaN, 2],
      [-Infinity, -Infinity, -Infinity],
      [1, Infinity, 2],
      [1, 2, 3],
    ];
    for (const r of [rt, cpu]) {
      for (const log of [false, true]) {
        const y = await read(log ? r.logSoftmax(r.tensor(x)) : r.softmax(r.tensor(x)));
        expect(Array.from(y.slice(0, 9)).every(Number.isNaN)).toBe(true);
        expectUlp('clean row', y.slice(9), refSoftmax(Float32Array.from([1, 2, 3]), 3, log), 2);
      }
    }
  }, 20000);

  it('odd lengths of long rows in the chunked layout with NaN in one chunk', async () => {
    const len = 3 * 8192 + 5;
    const x = randomLogits(2 * len, 5);
    x[len + 9000] = NaN;
    const y = await read(rt.softmax(rt.tensor(x, [2, len])));
    expectUlp('row 0', y.slice(0, len), refSoftmax(x.slice(0, len), len, false), 4);
    expect(y.slice(len).every(Number.isNaN)).toBe(true);
  });
});

describe('softmax: properties', () => {
  it('rows sum to 1 within 1e-6 and ignore a row shift', async () => {
    for (const len of [10, 1000, 50000]) {
      const rows = 8;
      // multiples of 2^-8 in [-16, 16): adding 8 is exact
      const r = rng(len);
      const x = new Float32Array(rows * len).map(() => Math.floor((r() - 0.5) * 32 * 256) / 256);
      const y = await read(rt.softmax(rt.tensor(x, [rows, len])));
      for (let o = 0; o < rows; o++) {
        let s = 0;
        for (let k = 0; k < len; k++) s += y[o * len + k];
        expect(Math.abs(s - 1)).toBeLessThan(1e-6);
      }
      const shifted = await read(rt.softmax(rt.tensor(x.map((v) => v + 8), [rows, len])));
      expectUlp(`shift invariance ${len}`, shifted, y, 4);
    }
  });

  it('is deterministic: bitwise equal on every run', async () => {
    const len = 100003;
    const x = rt.tensor(randomLogits(4 * len, 11), [4, len]);
    const a = await read(rt.softmax(x));
    for (let i = 0; i < 3; i++) expect(Array.from(new Uint32Array((await read(rt.softmax(x))).buffer))).toEqual(Array.from(new Uint32Array(a.buffer)));
  });
});

describe('gradients and cross-entropy in registers (rows_reg2, rows_reg_xent_both)', () => {
  // past rows_small's 16, slot boundaries, vec4 and scalar rows, and the longest rows the
  // registers take with 8 lanes (2048) and one past (the `rows` kernel there). (4096, the limit
  // with 16 lanes, is left out: its 64-slot pipelines take seconds each to compile on lavapipe.)
  const lengths = [17, 33, 257, 1021, 2048, 2049];
  const variants = [
    { name: 'subgroups', subgroups: true, rows: 0 },
    { name: 'workgroup memory', subgroups: false, rows: 0 },
    { name: 'subgroups, 3 rows per workgroup', subgroups: true, rows: 3 },
  ];
  const close = (what: string, got: Float32Array, want: Float32Array, rtol: number, atol: number) => {
    for (let i = 0; i < got.length; i++) {
      if (Number.isNaN(want[i])) expect(got[i], `${what} [${i}]`).toBeNaN();
      else if (!Number.isFinite(want[i])) expect(got[i], `${what} [${i}]`).toBe(want[i]);
      else expect(Math.abs(got[i] - want[i]), `${what} [${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(atol + rtol * Math.abs(want[i]));
    }
  };
  for (const v of variants) {
    it(`${v.name}: match the CPU path, bad rows NaN, deterministic, lossAndGrad = loss + lossGrad`, async () => {
      // up to the register limit, also where CPU adapters would stop earlier
      const tuning: KernelTuning = { reg2: 'always', ...(v.rows > 0 ? { rowsPerGroup: v.rows } : {}) };
      await pinned({ subgroups: v.subgroups, tuning }, async (rt) => {
        for (const len of lengths) {
          const rows = v.rows > 0 ? 13 : 7;
          const z = randomLogits(rows * len, len * 7 + 5, 12);
          const dy = randomLogits(rows * len, len * 7 + 6, 2);
          // row 1: a NaN logit (NaN loss and gradient); row 2: -Infinity logits (probability 0)
          z[len + 3] = NaN;
          for (let k = 0; k < len; k += 5) z[2 * len + k] = -Infinity;
          // one-hot targets (for some lengths row 2's falls on a -Infinity logit: loss +Infinity)
          const t = new Float32Array(rows * len);
          for (let r = 0; r < rows; r++) t[r * len + ((r * 37 + 1) % len)] = 1;
          const results: Float32Array[][] = [];
          for (const r of [rt, cpu]) {
            const zt = r.tensor(z, [rows, len]);
            const tt = r.tensor(t, [rows, len]);
            const y = r.softmax(zt);
            const ly = r.logSoftmax(zt);
            const dyt = r.tensor(dy, [rows, len]);
            const opts = { fromLogits: true, reduction: 'none' as const };
            const both = r.lossAndGrad('categoricalCrossentropy', zt, tt, opts);
            results.push(await Promise.all([
              read(r.softmaxGrad(y, dyt)),
              read(r.logSoftmaxGrad(ly, dyt)),
              read(r.loss('categoricalCrossentropy', zt, tt, opts)),
              read(r.lossGrad('categoricalCrossentropy', zt, tt, opts)),
              read(both.loss),
              read(both.grad),
            ]));
            if (r === rt) {
              const again = await read(r.lossGrad('categoricalCrossentropy', zt, tt, opts));
              expect(Array.from(new Uint32Array(again.buffer))).toEqual(Array.from(new Uint32Array(results[0][3].buffer)));
            }
          }
          const [g, c] = results;
          const at = `${v.name} len ${len}`;
          close(`${at} softmaxGrad`, g[0], c[0], 1e-5, 1e-6);
          close(`${at} logSoftmaxGrad`, g[1], c[1], 1e-5, 1e-6);
          close(`${at} loss`, g[2], c[2], 1e-6, 0);
          close(`${at} lossGrad`, g[3], c[3], 1e-5, 1e-7);
          expect(Array.from(g[4]), `${at} lossAndGrad loss`).toEqual(Array.from(g[2]));
          expect(Array.from(g[5]), `${at} lossAndGrad grad`).toEqual(Array.from(g[3]));
          expect(g[2][1]).toBeNaN();
          expect(g[3].slice(len, 2 * len).every(Number.isNaN)).toBe(true);
        }
      });
    }, 300000);
  }
});

describe('softmax: backward', () => {
  /** sum(w * f(x)) as a float64 function of x, for finite differences. */
  function objective(x: Float32Array, w: Float32Array, len: number, log: boolean): number {
    const y = refSoftmax(x, len, log);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += w[i] * y[i];
    return s;
  }
  for (const log of [false, true]) {
    const op = log ? 'logSoftmaxGrad' : 'softmaxGrad';
    for (const [rows, len] of [[5, 3], [3, 17], [4, 1000], [2, 20011]]) {
      it(`${op} [${rows}, ${len}] matches the CPU path and finite differences`, async () => {
        const x = randomLogits(rows * len, len + 3, 6);
        const dy = randomLogits(rows * len, len + 4, 2);
        const grad = async (r: Runtime) => {
          const y = log ? r.logSoftmax(r.tensor(x, [rows, len])) : r.softmax(r.tensor(x, [rows, len]));
          const dyt = r.tensor(dy, [rows, len]);
          return read(log ? r.logSoftmaxGrad(y, dyt) : r.softmaxGrad(y, dyt));
        };
        const g = await grad(rt);
        const c = await grad(cpu);
        for (let i = 0; i < g.length; i++) expect(Math.abs(g[i] - c[i])).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(c[i]));
        // central differences in float64 on a few coordinates
        const h = 1e-3;
        for (const i of [0, 1, Math.floor(g.length / 2), g.length - 1]) {
          const xp = Float64Array.from(x);
          const f = (d: number) => {
            const xs = Float32Array.from(xp);
            xs[i] = x[i] + d;
            return objective(xs, dy, len, log);
          };
          const fd = (f(h) - f(-h)) / (2 * h);
          expect(Math.abs(fd - c[i])).toBeLessThan(1e-4 + 1e-3 * Math.abs(fd));
        }
      });
    }
  }

  it('strided axis gradients match the CPU path', async () => {
    const shape = [4, 9, 6];
    const x = randomLogits(216, 8, 6);
    const dy = randomLogits(216, 9, 2);
    for (const log of [false, true]) {
      const run = async (r: Runtime) => {
        const y = log ? r.logSoftmax(r.tensor(x, shape), { axis: 1 }) : r.softmax(r.tensor(x, shape), { axis: 1 });
        return read(log ? r.logSoftmaxGrad(y, r.tensor(dy, shape), { axis: 1 }) : r.softmaxGrad(y, r.tensor(dy, shape), { axis: 1 }));
      };
      const g = await run(rt);
      const c = await run(cpu);
      for (let i = 0; i < g.length; i++) expect(Math.abs(g[i] - c[i])).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(c[i]));
    }
  });
});

describe('softmax: limits, verify and bad input', () => {
  it('splits rows past the binding limit, and rejects one row larger than it', async () => {
    const small = await createRuntime({ maxBindingBytes: 4096 });
    try {
      for (const len of [10, 300]) {
        const rows = 50;
        const x = randomLogits(rows * len, 3);
        const y = await read(small.softmax(small.tensor(x, [rows, len])));
        expectUlp(`split rows of ${len}`, y, refSoftmax(x, len, false), 4);
        const g = await read(small.logSoftmaxGrad(small.tensor(x, [rows, len]), small.tensor(x, [rows, len])));
        expect(g.every(Number.isFinite)).toBe(true);
      }
      expect(() => small.softmax(small.tensor(new Float32Array(2000), [1, 2000]))).toThrow(/larger than this adapter's storage binding limit/);
    } finally {
      small.dispose();
    }
  });

  it('verify: true cross-checks every op', async () => {
    const v = await createRuntime({ verify: true });
    try {
      const x = v.tensor(randomLogits(3 * 1000, 4), [3, 1000]);
      const y = v.softmax(x);
      const l = v.logSoftmax(x, { axis: 0 });
      v.softmaxGrad(y, x);
      v.logSoftmaxGrad(l, x, { axis: 0 });
      await v.sync();
      const r = ulpReport(await read(y), refSoftmax(await read(x), 1000, false), 4);
      expect(r.failures).toBe(0);
    } finally {
      v.dispose();
    }
  });

  it('names the problem', () => {
    const x = rt.tensor([[1, 2, 3]]);
    expect(() => rt.softmax(x, { axis: 2 })).toThrow(NNError);
    expect(() => rt.softmax(x, { axis: 2 })).toThrow('softmax: axis 2 is out of range for shape [1, 3]');
    expect(() => rt.softmax(x, { axis: 0.5 })).toThrow(/axis 0.5 is out of range/);
    expect(() => rt.logSoftmax(x, { axes: 1 } as never)).toThrow("logSoftmax: unknown option 'axes'");
    expect(() => rt.softmax(rt.tensor(3))).toThrow(/rank >= 1/);
    expect(() => rt.softmaxGrad(x, rt.tensor([1, 2, 3]))).toThrow('softmax.backward: expected dy of shape [1, 3] (the shape of y), got [3]');
  });
});

/** Index of the first element whose bits differ (-1: bitwise equal); runs in the browser too. */
function firstBitDifference(a: Float32Array, b: Float32Array): number {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (ua.length !== ub.length) return Math.min(ua.length, ub.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}
