// The runtime and scheduler: tensors, batching, folding, chunking, errors, memory, device loss.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, DeviceLostError, GpuError, NNError, Runtime, VerifyError } from '../src/index';
import { ulpDistance } from '../src/ulp';
import { VEC4_PER_INVOCATION } from '../src/kernels/activation';

const WG = 256;
const relu = (x: number) => (x > 0 ? x : 0);

/** Deterministic pseudo-random floats in [-a, a). */
function randoms(n: number, seed: number, a = 10): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * a;
  }
  return out;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`timed out: ${what}`)), ms))]);
}

let rt: Runtime;
beforeAll(async () => {
  rt = await createRuntime();
});
afterAll(() => rt.dispose());

describe('createRuntime', () => {
  it('finds a real WebGPU adapter (never silently the CPU)', () => {
    expect(rt.backend).toBe('webgpu');
    expect(rt.adapterInfo).not.toBeNull();
    expect(rt.device).toBeDefined();
  });

  it('rejects bad numeric options by name', async () => {
    await expect(createRuntime({ workgroupSize: 0 })).rejects.toThrow('createRuntime: workgroupSize must be a positive integer, got 0');
    await expect(createRuntime({ maxOpsPerBatch: 2.5 })).rejects.toThrow('createRuntime: maxOpsPerBatch must be a positive integer, got 2.5');
    await expect(createRuntime({ maxBindingBytes: NaN })).rejects.toThrow('maxBindingBytes must be a positive integer, got NaN');
    await expect(createRuntime({ poolCapBytes: -1 })).rejects.toThrow('poolCapBytes must be a finite number >= 0, got -1');
  });

  it('rejects an unknown backend by name', async () => {
    await expect(createRuntime({ backend: 'metal' as never })).rejects.toThrow(/unknown backend 'metal'/);
  });
});

describe('tensors', () => {
  it('round-trips flat, typed, nested and scalar values', async () => {
    const a = rt.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.size).toBe(6);
    expect(await a.array()).toEqual([[1, 2, 3], [4, 5, 6]]);
    const b = rt.tensor(new Float64Array([0.1, -2]), [2, 1]);
    expect(Array.from(await b.read())).toEqual([Math.fround(0.1), -2]);
    const c = rt.tensor(7);
    expect(c.shape).toEqual([]);
    expect(await c.array()).toBe(7);
    const z = rt.zeros([3, 0]);
    expect(z.size).toBe(0);
    expect((await z.read()).length).toBe(0);
    for (const t of [a, b, c, z]) t.dispose();
  });

  it('zeros() gives zeros even from a reused buffer', async () => {
    const junk = rt.tensor(new Float32Array(1000).fill(5));
    await junk.read();
    junk.dispose();
    await rt.sync();
    const z = rt.zeros([1000]);
    expect((await z.read()).every((v) => v === 0)).toBe(true);
    z.dispose();
  });

  it.each([
    ['a shape whose product does not match', () => rt.tensor([1, 2, 3], [2, 2]), /shape \[2, 2\] needs 4 values, got 3/],
    ['a negative dimension', () => rt.tensor([1], [-1]), /invalid dimension -1/],
    ['a non-finite dimension', () => rt.zeros([Infinity]), /invalid dimension Infinity/],
    ['a fractional dimension', () => rt.zeros([1.5]), /invalid dimension 1.5/],
    ['a ragged nested array', () => rt.tensor([[1, 2], [3]] as never), /ragged nested array/],
    ['a string element', () => rt.tensor([1, 'a'] as never), /element \[1\] is string/],
  ])('rejects %s', (_name, make, message) => {
    expect(make).toThrow(NNError);
    expect(make).toThrow(message);
  });

  it('rejects a disposed tensor and tensors of another runtime, naming the op', async () => {
    const x = rt.tensor([1, 2]);
    x.dispose();
    expect(() => rt.relu(x)).toThrow(/^relu: x \(tensor #\d+ \[2\]\) was disposed$/);
    await expect(x.read()).rejects.toThrow(/was disposed/);
    const other = await createRuntime({ backend: 'cpu' });
    const y = other.tensor([1, 2]);
    expect(() => rt.relu(y)).toThrow(/belongs to another runtime/);
    other.dispose();
  });

  it('rejects an unknown activation name and leaves the runtime usable', async () => {
    const x = rt.tensor([-1, 1]);
    // @ts-expect-error a misspelt activation is a compile error too
    expect(() => rt.activation('sigmoidd', x)).toThrow(/unknown activation 'sigmoidd'/);
    expect(Array.from(await rt.relu(x).read())).toEqual([0, 1]);
  });

  it('takes PyTorch / ONNX spellings of activation names, and a named gradient method for each', async () => {
    const x = rt.tensor(randoms(64, 5, 6));
    const dy = rt.tensor(randoms(64, 6, 2));
    const pairs: [string, string][] = [['ReLU', 'relu'], ['LeakyReLU', 'leakyRelu'], ['Hardswish', 'hardSwish'], ['hard-sigmoid', 'hardSigmoid'], ['SiLU', 'silu'], ['ReLU6', 'relu6'], ['GELU', 'gelu'], ['Tanh', 'tanh']];
    for (const [alias, name] of pairs) {
      expect(Array.from(await rt.activation(alias, x).read())).toEqual(Array.from(await rt.activation(name, x).read()));
      expect(Array.from(await rt.activationGrad(alias, x, dy).read())).toEqual(Array.from(await rt.activationGrad(name, x, dy).read()));
    }
    const named = rt as unknown as Record<string, (x: unknown, dy: unknown) => { read(): Promise<Float32Array> }>;
    for (const name of ['sigmoid', 'step', 'tanh', 'relu', 'identity', 'linear', 'leakyRelu', 'relu6', 'elu', 'selu', 'celu', 'softplus', 'softsign', 'hardSigmoid', 'silu', 'gelu', 'mish', 'hardSwish']) {
      expect(Array.from(await named[`${name}Grad`].call(rt, x, dy).read())).toEqual(Array.from(await rt.activationGrad(name, x, dy).read()));
    }
    expect(Array.from(await rt.swishGrad(x, dy).read())).toEqual(Array.from(await rt.siluGrad(x, dy).read()));
  });

  it('softmax and logSoftmax through activation() and activationGrad() are the row ops', async () => {
    const x = rt.tensor(randoms(12, 7, 4), [3, 4]);
    const dy = rt.tensor(randoms(12, 8, 1), [3, 4]);
    expect(Array.from(await rt.activation('softmax', x).read())).toEqual(Array.from(await rt.softmax(x).read()));
    expect(Array.from(await rt.activation('log_softmax', x, { axis: 0 } as never).read())).toEqual(Array.from(await rt.logSoftmax(x, { axis: 0 }).read()));
    const g = await rt.activationGrad('softmax', x, dy).read();
    expect(Array.from(g)).toEqual(Array.from(await rt.softmaxGrad(rt.softmax(x), dy).read()));
    expect(Array.from(await rt.activationGrad('logSoftmax', x, dy).read())).toEqual(Array.from(await rt.logSoftmaxGrad(rt.logSoftmax(x), dy).read()));
    expect(() => rt.activation('softmax', x, { alpha: 1 } as never)).toThrow("activation('softmax'): unknown parameter 'alpha' (known: axis)");
    expect(() => rt.activation('softmax', x, { axis: 2 } as never)).toThrow(/axis/);
    expect(() => rt.defineActivation('Softmax', { wgsl: { forward: 'x', backward: 'dy' }, cpu: { forward: (v) => v, backward: (_x, _y, d) => d } })).toThrow(/built-in/);
  });
});

describe('scheduler', () => {
  it.each([1, WG * 4 - 1, WG * 4, WG * 4 + 1, 1_000_003])('elementwise length %i matches the CPU path', async (n) => {
    const xs = randoms(n, n);
    const x = rt.tensor(xs);
    const y = rt.relu(x);
    const got = await y.read();
    let bad = -1;
    for (let i = 0; i < n; i++) if (got[i] !== relu(xs[i])) { bad = i; break; }
    expect(bad).toBe(-1);
    x.dispose();
    y.dispose();
  });

  it.each([
    ['past 65,535 x WG elements', WG, 65_535 * WG + 7],
    // one workgroup covers WG * VEC4_PER_INVOCATION * 4 floats
    ['past 65,535 workgroups (folded into 2-D)', 16, 65_535 * 16 * 4 * VEC4_PER_INVOCATION + 23],
  ])('length %s works', async (_name, workgroupSize, n) => {
    const r = await createRuntime({ workgroupSize });
    const xs = new Float32Array(n);
    for (let i = 0; i < n; i += 9973) xs[i] = i % 2 ? i : -i;
    xs[n - 1] = 42;
    xs[n - 2] = -42;
    const got = await r.relu(r.tensor(xs)).read();
    expect([got[n - 2], got[n - 1]]).toEqual([0, 42]);
    for (let i = 0; i < n; i += 9973) expect(got[i]).toBe(relu(xs[i]));
    r.dispose();
  });

  it('splits work past the storage binding limit into chunks', async () => {
    const small = await createRuntime({ maxBindingBytes: 4096 });
    const n = 10_007;
    const xs = randoms(n, 3);
    const got = await small.relu(small.tensor(xs)).read();
    expect(Array.from(got)).toEqual(Array.from(xs, relu));
    small.dispose();
  });

  it('batches many ops into few submits and keeps 1,000 reads in flight', async () => {
    const s = rt.scheduler!;
    const before = s.submitCount;
    const x = rt.tensor(randoms(1024, 9));
    const outs = Array.from({ length: 1000 }, () => rt.relu(x));
    const reads = await withTimeout(Promise.all(outs.map((t) => t.read())), 60_000, '1000 reads');
    expect(s.submitCount - before).toBeLessThanOrEqual(10);
    const ref = Array.from(await x.read(), relu);
    for (const r of reads) expect(Array.from(r)).toEqual(ref);
    outs.forEach((t) => t.dispose());
    x.dispose();
  });

  it('a repeated chain of small ops reuses its bind groups (pooled buffers, one uniform slot)', async () => {
    const r = await createRuntime();
    const xs = randoms(1024, 21, 3);
    const x = r.tensor(xs);
    const chain = async (): Promise<Float32Array> => {
      let y = r.tanh(x);
      for (let i = 0; i < 600; i++) {
        const z = r.tanh(y);
        y.dispose();
        y = z;
      }
      const out = await y.read();
      y.dispose();
      return out;
    };
    const start = r.scheduler!.cachedBindGroups;
    const first = await chain();
    const before = r.scheduler!.cachedBindGroups;
    // buffers wait for the submit before reuse, so the first batch (256 ops) binds new ones;
    // after that the chain cycles through them
    expect(before - start).toBeLessThanOrEqual(r.scheduler!.maxOpsPerBatch + 8);
    const second = await chain();
    // the pool hands the buffers round in the same order: the second run finds its groups
    expect(r.scheduler!.cachedBindGroups - before).toBeLessThanOrEqual(8);
    expect(Array.from(second)).toEqual(Array.from(first));
    let ref = Array.from(xs, (v) => Math.fround(Math.tanh(v)));
    for (let i = 0; i < 600; i++) ref = ref.map((v) => Math.fround(Math.tanh(v)));
    let worst = 0;
    second.forEach((v, i) => (worst = Math.max(worst, ulpDistance(v, ref[i]))));
    expect(worst).toBeLessThanOrEqual(4 * 601);
    r.dispose();
  });

  it('bind groups die with their buffers: a trimmed pool leaves no group behind', async () => {
    const r = await createRuntime();
    const x = r.tensor(randoms(4096, 22));
    const ys = Array.from({ length: 20 }, () => r.sigmoid(x));
    await Promise.all(ys.map((t) => t.read()));
    expect(r.scheduler!.cachedBindGroups).toBeGreaterThanOrEqual(20);
    ys.forEach((t) => t.dispose());
    x.dispose();
    await r.sync();
    r.trimPool(0);
    // what remains can only reference the uniform ring (no storage buffer is left)
    expect(r.scheduler!.cachedBindGroups).toBe(0);
    const again = await r.sigmoid(r.tensor([0, 1])).read();
    expect(again[0]).toBe(0.5);
    r.dispose();
  });

  it('gives bitwise-identical results on every run', async () => {
    const xs = randoms(4099, 17);
    const x = rt.tensor(xs);
    const a = await rt.sigmoid(x).read();
    const b = await rt.sigmoid(x).read();
    expect(Array.from(new Uint32Array(a.buffer))).toEqual(Array.from(new Uint32Array(b.buffer)));
  });
});

describe('errors from the device are never silent', () => {
  it('a dispatch past the limits with folding disabled rejects, naming the op', async () => {
    const nofold = await createRuntime({ foldWorkgroups: false, workgroupSize: 16 });
    const n = 65_536 * 16 * 4 * VEC4_PER_INVOCATION;
    const x = nofold.zeros([n]);
    const y = nofold.relu(x);
    const err = await y.read().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(GpuError);
    expect(String(err)).toContain(`relu.forward [${n}]`);
    expect(String(err)).toMatch(/validation/);
    // The device stays usable.
    expect(Array.from(await nofold.relu(nofold.tensor([-3, 3])).read())).toEqual([0, 3]);
    nofold.dispose();
  });

  it('an oversized buffer fails up front with the size and the limit', () => {
    const max = rt.device!.limits.maxBufferSize;
    expect(() => rt.zeros([Math.floor(max / 4) + 1024])).toThrow(/larger than this adapter's maxBufferSize/);
    expect(rt.memory().liveTensors).toBeGreaterThanOrEqual(0);
  });

  it('a custom activation whose WGSL does not compile reports the line', async () => {
    const p = rt.defineActivation('broken', {
      wgsl: { forward: 'x * undefined_thing', backward: 'dy' },
      cpu: { forward: (x) => x, backward: (_x, _y, dy) => dy },
    });
    await expect(p).rejects.toThrow(/does not compile[\s\S]*custom activation 'broken':2:\d+/);
    expect(() => rt.activation('broken' as string, rt.tensor([1]))).toThrow(/unknown activation 'broken'/);
  });

  it('an invalid custom activation used without awaiting rejects the read', async () => {
    const p = rt.defineActivation('broken2', {
      wgsl: { forward: 'x + true', backward: 'dy' },
      cpu: { forward: (x) => x, backward: (_x, _y, dy) => dy },
    });
    p.catch(() => undefined);
    const y = rt.activation('broken2' as string, rt.tensor([1, 2]));
    await expect(y.read()).rejects.toThrow(/broken2[\s\S]*(compil|invalid|Invalid)/);
    expect(Array.from(await rt.relu(rt.tensor([-1, 2])).read())).toEqual([0, 2]);
  });

  it('rejects a name that collides with a built-in', () => {
    expect(() =>
      rt.defineActivation('relu', { wgsl: { forward: 'x', backward: 'dy' }, cpu: { forward: (x) => x, backward: (_x, _y, dy) => dy } }),
    ).toThrow(/'relu' is a built-in activation/);
  });
});

describe('defineActivation', () => {
  const c2f = {
    wgsl: { forward: 'max(32.0, 1.8 * x + 32.0)', backward: 'select(0.0, dy * 1.8, 1.8 * x + 32.0 > 32.0)' },
    cpu: {
      forward: (x: number) => Math.max(32, Math.fround(1.8 * x) + 32),
      backward: (x: number, _y: number, dy: number) => (1.8 * x + 32 > 32 ? dy * 1.8 : 0),
    },
  };
  const celsius = [-20, -10, 0, 36.5, 40, 50, 100];

  it('runs the seeds\' Celsius-to-Fahrenheit neuron on the GPU and the CPU', async () => {
    const cpu = await createRuntime({ backend: 'cpu' });
    for (const r of [rt, cpu]) {
      const name = await r.defineActivation('c2f', c2f);
      const f = await r.activation(name, r.tensor(celsius)).read();
      expect(Array.from(f, (v) => Number(v.toFixed(4)))).toEqual([32, 32, 32, 97.7, 104, 122, 212]);
      const d = await r.activationGrad(name, r.tensor(celsius), r.tensor(celsius.map(() => 1))).read();
      expect(Array.from(d, (v) => Number(v.toFixed(4)))).toEqual([0, 0, 0, 1.8, 1.8, 1.8, 1.8]);
    }
    cpu.dispose();
  });

  it('verify: true catches a CPU twin that disagrees, naming op, index, values and ULPs', async () => {
    const v = await createRuntime({ verify: true });
    const wrong = await v.defineActivation('wrong', {
      wgsl: { forward: 'x * 2.0', backward: 'dy * 2.0' },
      cpu: { forward: (x) => (x === 3 ? 6.5 : x * 2), backward: (_x, _y, dy) => dy * 2 },
    });
    const y = v.activation(wrong, v.tensor([1, 2, 3, 4]));
    const err = await y.read().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(VerifyError);
    expect(String(err)).toMatch(/wrong\.forward \[4\].*index 2: gpu 6, cpu 6\.5 \(\d+ ULP apart, bound 4 ULP/);
    v.dispose();
  });

  it('verify: true passes for agreeing ops', async () => {
    const v = await createRuntime({ verify: true });
    const x = v.tensor(randoms(1000, 5));
    await expect(v.relu(x).read()).resolves.toHaveLength(1000);
    await expect(v.sigmoid(x).read()).resolves.toHaveLength(1000);
    await v.sync();
    v.dispose();
  });
});

describe('memory', () => {
  it('stays flat over many ops when tensors are disposed', async () => {
    const x = rt.tensor(randoms(256, 1));
    const step = () => {
      const y = rt.relu(x);
      const z = rt.sigmoid(y);
      y.dispose();
      z.dispose();
    };
    for (let i = 0; i < 500; i++) step();
    await rt.sync();
    const warm = rt.memory();
    for (let i = 0; i < 5000; i++) step();
    await rt.sync();
    const after = rt.memory();
    expect(after.allocatedBytes).toBeLessThanOrEqual(warm.allocatedBytes);
    expect(after.liveTensors).toBe(warm.liveTensors);
    x.dispose();
  });

  it('tidy() disposes intermediates and keeps the result', async () => {
    const live = rt.memory().liveTensors;
    const x = rt.tensor([-1, 0.5]);
    const out = rt.tidy(() => rt.sigmoid(rt.relu(rt.relu(x))));
    expect(rt.memory().liveTensors).toBe(live + 2);
    expect((await out.read())[1]).toBeCloseTo(0.6224593, 6);
    out.dispose();
    x.dispose();
    expect(rt.memory().liveTensors).toBe(live);
  });

  it('trims the pool to its byte cap', async () => {
    const capped = await createRuntime({ poolCapBytes: 64 * 1024 });
    for (let i = 0; i < 20; i++) capped.zeros([100_000 + i * 1000]).dispose();
    await capped.sync();
    expect(capped.memory().pooledBytes).toBeLessThanOrEqual(64 * 1024);
    capped.dispose();
  });
});

describe('load', () => {
  it('1,000 concurrent promise chains of ops and reads all give correct results', async () => {
    const chains = Array.from({ length: 1000 }, async (_, i) => {
      const x = rt.tensor([i - 500, -i, i / 7]);
      await Promise.resolve();
      const y = rt.relu(x);
      const first = await y.read();
      const z = rt.relu(rt.tensor(first.map((v) => v - 1)));
      const got = Array.from(await z.read());
      x.dispose();
      y.dispose();
      z.dispose();
      return got;
    });
    const results = await withTimeout(Promise.all(chains), 60_000, '1000 chains');
    results.forEach((got, i) => {
      const ref = [i - 500, -i, Math.fround(i / 7)].map((v) => relu(relu(v) - 1));
      expect(got).toEqual(ref.map(Math.fround));
    });
  });

  it('two runtimes in one process do not interfere', async () => {
    const other = await createRuntime();
    const a = rt.tensor(randoms(5000, 1));
    const b = other.tensor(randoms(5000, 2));
    const [ra, rb] = await Promise.all([rt.relu(a).read(), other.relu(b).read()]);
    expect(Array.from(ra)).toEqual(Array.from(randoms(5000, 1), relu));
    expect(Array.from(rb)).toEqual(Array.from(randoms(5000, 2), relu));
    other.dispose();
  });
});

describe('device loss', () => {
  it('rejects pending and later work clearly, and recover() gets a fresh device', async () => {
    const r = await createRuntime();
    const x = r.tensor(randoms(100_000, 4));
    let y = x;
    for (let i = 0; i < 50; i++) y = r.relu(y);
    const pending = y.read();
    r.device!.destroy();
    const info = await withTimeout(r.lost, 10_000, 'lost');
    expect(info.reason).toBeTruthy();
    const err = await pending.then(() => null, (e: unknown) => e);
    // The read may have completed before the device went; if not, it names the loss.
    if (err) expect(err).toBeInstanceOf(DeviceLostError);
    expect(() => r.relu(x)).toThrow(DeviceLostError);
    await r.recover();
    expect(() => r.relu(x)).toThrow(/lost; create it again/);
    const fresh = r.tensor([-1, 2]);
    expect(Array.from(await r.relu(fresh).read())).toEqual([0, 2]);
    r.dispose();
  });
});

describe('ulpDistance', () => {
  it('counts float32 steps through zero and treats NaN as equal to NaN', () => {
    expect(ulpDistance(1, Math.fround(1 + 2 ** -23))).toBe(1);
    expect(ulpDistance(0, -0)).toBe(0);
    expect(ulpDistance(2 ** -149, -(2 ** -149))).toBe(2);
    expect(ulpDistance(NaN, NaN)).toBe(0);
    expect(ulpDistance(NaN, 1)).toBe(Infinity);
  });
});
