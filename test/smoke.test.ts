import { describe, expect, it } from 'vitest';
import { createRuntime } from '../src/index';

describe('runtime smoke', () => {
  it('runs sigmoid on the GPU', async () => {
    const rt = await createRuntime();
    console.log(rt.adapterInfo);
    const x = rt.tensor([0.25, 7, 9, 20]);
    const y = rt.sigmoid(x);
    const v = await y.read();
    expect(Array.from(v)).toEqual([0.5621765008857981, 0.9990889488055994, 0.9998766054240137, 1].map(Math.fround));
    const big = rt.tensor(new Float32Array(17_000_000).fill(1));
    const r = await rt.relu(big).read();
    expect(r[16_999_999]).toBe(1);
    rt.dispose();
  });
});
