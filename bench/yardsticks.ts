/**
 * The two bandwidth yardsticks every elementwise and reduction figure is compared with:
 * shaders/copy.wgsl (y = x, the launch shape of shaders/activation.wgsl, compiled and
 * dispatched through the scheduler like src/kernels/activation.ts) and the adapter's
 * copyBufferToBuffer.
 */
import copyShader from '../shaders/copy.wgsl?raw';
import { dispatchElementwise } from '../src/kernels/activation';
import type { ShaderFile } from '../src/gpu/shaders';
import type { GpuTensor, Runtime } from '../src/runtime';
import type { Tensor } from '../src/tensor';
import type { Yardstick } from './measure';
import { GpuTimer, capture, sched, wallOnce } from './timing';

const COPY: ShaderFile[] = [{ file: 'copy.wgsl', code: copyShader }];

/** Records y = x with the copy kernel, dispatched exactly as the activations are. */
export function copyKernel(rt: Runtime, x: Tensor, y: Tensor): void {
  const view = (t: Tensor): GpuTensor => ({ buffer: (t.storage as { buffer: GPUBuffer }).buffer, size: t.size, shape: t.shape });
  dispatchElementwise(sched(rt), `copy.main [${x.size}]`, COPY, 'main', null, [view(x)], [0], view(y), [0, 0, 0, 0]);
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
