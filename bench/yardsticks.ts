/**
 * The two bandwidth yardsticks every elementwise and reduction figure is compared with:
 * shaders/copy.wgsl (y = x, the launch shape of shaders/activation.wgsl, compiled and
 * dispatched through the scheduler like src/kernels/activation.ts) and the adapter's
 * copyBufferToBuffer.
 */
import copyShader from '../shaders/copy.wgsl?raw';
import type { Runtime } from '../src/runtime';
import type { Tensor } from '../src/tensor';
import type { Yardstick } from './measure';
import { GpuTimer, capture, sched, wallOnce } from './timing';

const WG = 256;

/** Records y = x with the copy kernel, in chunks that fit the binding limit. */
export function copyKernel(rt: Runtime, x: Tensor, y: Tensor): void {
  const s = sched(rt);
  const xb = (x.storage as { buffer: GPUBuffer }).buffer;
  const yb = (y.storage as { buffer: GPUBuffer }).buffer;
  const pipeline = s.pipeline([{ file: 'copy.wgsl', code: copyShader }], 'main', { WG }, 'copy:main');
  const n = x.size;
  const chunk = Math.max(64, Math.floor(s.maxBindingBytes / 256) * 64);
  for (let start = 0; start < n; start += chunk) {
    const len = Math.min(chunk, n - start);
    const n4 = Math.ceil(len / 4);
    const uniform = new ArrayBuffer(32);
    new Uint32Array(uniform, 16, 1)[0] = n4;
    const offset = start * 4;
    const size = n4 * 16;
    s.dispatch({
      label: `copy.main [${n}]`,
      pipeline,
      bindings: [
        { binding: 0, buffer: xb, offset, size },
        { binding: 2, buffer: yb, offset, size },
      ],
      uniform: new Uint8Array(uniform),
      uniformBinding: 3,
      workgroups: Math.ceil(n4 / WG),
    });
  }
}

/** The copy kernel on `n` floats as a paired-measurement yardstick (free with `release`). */
export async function copyYardstick(rt: Runtime, n: number, timer: GpuTimer | null): Promise<Yardstick & { release(): void }> {
  const x = rt.zeros([n]);
  const y = rt.zeros([n]);
  const replay = timer ? await timer.prepare(capture(rt, () => copyKernel(rt, x, y)).recorded) : null;
  return {
    gpu: replay ? () => replay.once() : null,
    wall: (k: number) => wallOnce(() => copyKernel(rt, x, y), () => rt.sync(), k),
    release() {
      replay?.release();
      x.dispose();
      y.dispose();
    },
  };
}
