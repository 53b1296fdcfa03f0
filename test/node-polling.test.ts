// Dawn's Node binding polls with setImmediate while a promise is pending; while a runtime awaits
// the GPU that polling sleeps after a short spin (src/gpu/node-polling.ts). Node and Linux only
// (the main thread's CPU time comes from /proc); it fails, never skips, elsewhere.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime, type Tensor } from '../src/index';

/** CPU milliseconds of this process's main thread. */
function mainThreadCpuMs(): number {
  const file = `/proc/self/task/${process.pid}/stat`;
  if (!existsSync(file)) throw new Error(`this test reads the main thread's CPU time from ${file} (Linux)`);
  const st = readFileSync(file, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * (1000 / 100);
}

describe('Dawn polling while a runtime waits', () => {
  let gentle: Runtime;
  let spin: Runtime;
  const data = Float32Array.from({ length: 512 * 512 }, (_, i) => Math.sin(i));
  beforeAll(async () => {
    gentle = await createRuntime();
    spin = await createRuntime({ nodePolling: 'spin' });
  });
  afterAll(() => {
    gentle.dispose();
    spin.dispose();
  });

  /** Main-thread CPU ms and wall ms of awaiting 12 chained 512^3 products (the main thread only waits). */
  async function waitCost(rt: Runtime): Promise<{ cpu: number; wall: number; out: Float32Array }> {
    const a = rt.tensor(data, [512, 512]);
    await rt.matmul(a, a).read(); // compile first
    const c0 = mainThreadCpuMs();
    const t0 = performance.now();
    let y: Tensor = a;
    for (let i = 0; i < 12; i++) y = rt.matmul(y, a);
    const out = await y.read();
    return { cpu: mainThreadCpuMs() - c0, wall: performance.now() - t0, out };
  }

  it('a long wait leaves the main thread mostly idle, with the same results as the busy poll', async () => {
    const g = await waitCost(gentle);
    const s = await waitCost(spin);
    expect(Array.from(g.out)).toEqual(Array.from(s.out));
    expect(g.wall).toBeGreaterThan(50);
    expect(g.cpu).toBeLessThan(0.5 * g.wall);
    expect(g.cpu).toBeLessThan(s.cpu);
  });

  it('rejects an unknown nodePolling mode by name', async () => {
    await expect(createRuntime({ nodePolling: 'lazy' as never })).rejects.toThrow(`createRuntime: nodePolling must be 'gentle' or 'spin', got the string 'lazy'`);
  });

  it('user code calling setImmediate during a wait still gets a real immediate', async () => {
    const a = gentle.tensor(data, [512, 512]);
    let y: Tensor = a;
    for (let i = 0; i < 6; i++) y = gentle.matmul(y, a);
    const pending = y.read();
    await new Promise((r) => setTimeout(r, 60)); // well past the spin allowance
    const handle = setImmediate(() => undefined);
    // Node's Timeout has refresh(); an Immediate does not.
    expect('refresh' in handle).toBe(false);
    let ran = 0;
    for (let i = 0; i < 50; i++) await new Promise<void>((r) => setImmediate(() => (ran++, r())));
    expect(ran).toBe(50);
    await pending;
  });
});
