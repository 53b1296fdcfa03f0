// Hostile input: random shapes, lengths, parameters and values thrown at every public op on
// both paths. Each call must either throw a clear NNError (naming the op) or give a result that
// the CPU path confirms within the op's bound (a `verify: true` runtime checks every op).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_ACTIVATIONS, createRuntime, NNError, type Runtime, type Tensor } from '../src/index';

const SEED = 20261123;
let gpu: Runtime;
let cpu: Runtime;

beforeAll(async () => {
  gpu = await createRuntime({ verify: true });
  cpu = await createRuntime({ backend: 'cpu' });
});
afterAll(() => {
  gpu.dispose();
  cpu.dispose();
});

/** Values that break naive kernels. */
const hostileFloat = fc.oneof(
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1.4e-45, -1.4e-45, 1.17549435e-38, 3.4e38, -3.4e38, 88.7, -103, 1e-30),
  fc.float({ noDefaultInfinity: false, noNaN: false }),
  fc.double({ min: -30, max: 30, noNaN: true }),
);

const shape = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 0, maxLength: 3 });

const paramValue = fc.oneof(
  fc.double({ noNaN: false }),
  fc.constantFrom(0.2, 1, -1, 0, true, false, 'tanh', 'none', 'bogus', Infinity, NaN),
);

interface Call {
  name: string;
  shape: number[];
  values: number[];
  params: Record<string, unknown> | undefined;
}

const activationCall: fc.Arbitrary<Call> = fc
  .record({
    spec: fc.constantFrom(...BUILTIN_ACTIVATIONS),
    shape,
    extraParam: fc.boolean(),
    seedValues: fc.array(hostileFloat, { minLength: 0, maxLength: 729 }),
    pvals: fc.array(paramValue, { minLength: 4, maxLength: 4 }),
  })
  .map(({ spec, shape, extraParam, seedValues, pvals }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = Array.from({ length: n }, (_, i) => (seedValues.length ? seedValues[i % seedValues.length] : i));
    let params: Record<string, unknown> | undefined;
    if (spec.paramNames.length > 0 || extraParam) {
      params = {};
      spec.paramNames.forEach((p, i) => {
        if (pvals[i] !== 0) params![p] = pvals[i];
      });
      if (extraParam) params.notAParam = 1;
    }
    return { name: spec.name, shape, values, params };
  });

/** Runs the call; returns the values or the error, and checks an error is a named NNError. */
async function attempt(rt: Runtime, c: Call, grad: boolean): Promise<Float32Array | Error> {
  const made: Tensor[] = [];
  try {
    const x = rt.tensor(c.values, c.shape);
    made.push(x);
    let y: Tensor;
    if (grad) {
      const dy = rt.tensor(c.values.map((_, i) => (i % 3) - 1), c.shape);
      made.push(dy);
      y = rt.activationGrad(c.name, x, dy, c.params as never);
    } else {
      y = rt.activation(c.name, x, c.params as never);
    }
    made.push(y);
    return await y.read();
  } catch (e) {
    expect(e, `${c.name}: ${String(e)}`).toBeInstanceOf(NNError);
    expect(String((e as Error).message)).toMatch(new RegExp(c.name.slice(0, 4), 'i'));
    return e as Error;
  } finally {
    made.forEach((t) => t?.dispose());
  }
}

describe('fuzz: activations on both paths', () => {
  it.each([false, true])('forward/backward (grad=%s): a clear error or an agreeing result', async (grad) => {
    await fc.assert(
      fc.asyncProperty(activationCall, async (c) => {
        const g = await attempt(gpu, c, grad);
        const k = await attempt(cpu, c, grad);
        // Both paths validate the same way.
        expect(g instanceof Error).toBe(k instanceof Error);
        if (g instanceof Error || k instanceof Error) return;
        expect(g.length).toBe(k.length);
      }),
      { seed: SEED + (grad ? 1 : 0), numRuns: 150 },
    );
    await gpu.sync(); // any verify mismatch surfaces here
    expect(gpu.memory().liveTensors).toBe(0);
  });
});
