/**
 * In-place SGD step (Keras semantics) on one tensor or a list (e.g. a layer's kernel and
 * bias, updated two per dispatch): shaders/sgd.wgsl on the GPU; on the CPU the same float32
 * operations, each rounded to float32, so the CPU path reproduces Keras' float32 training.
 */
import sgdShader from '../../shaders/sgd.wgsl?raw';
import { NNError, formatShape } from '../errors';
import type { ShaderFile } from '../gpu/shaders';
import type { GpuTensor, Runtime } from '../runtime';
import { sameShape } from '../shape';
import type { Tensor } from '../tensor';
import { checkBindable } from './dense';

const KERNEL: ShaderFile = { file: 'sgd.wgsl', code: sgdShader };
const SHADERS = [KERNEL];
const WG = 256;
const fround = Math.fround;

export interface SgdOptions {
  learningRate: number;
  /** Keras `momentum` (default 0: plain gradient descent). */
  momentum?: number;
  /** Velocity tensors (one per parameter, same shapes, start at zeros); required with momentum. */
  velocity?: Tensor | readonly Tensor[];
  nesterov?: boolean;
}

// param [n], velocity [n] or null (updated in place); grad [n]
export function sgdCpu(param: Float32Array, velocity: Float32Array | null, grad: Float32Array, lr: number, momentum: number, nesterov: boolean): void {
  const lr32 = fround(lr);
  const m32 = fround(momentum);
  for (let i = 0; i < param.length; i++) {
    const lg = fround(lr32 * grad[i]);
    if (!velocity) {
      param[i] = fround(param[i] - lg);
      continue;
    }
    const v = fround(fround(m32 * velocity[i]) - lg);
    velocity[i] = v;
    param[i] = fround(param[i] + (nesterov ? fround(fround(m32 * v) - lg) : v));
  }
}

const asList = (t: Tensor | readonly Tensor[] | undefined): readonly Tensor[] => (t === undefined ? [] : Array.isArray(t) ? t : [t as Tensor]);

/** param -= lr * grad, or with momentum v = momentum v - lr grad; param += v. In place. */
export function sgdUpdate(rt: Runtime, param: Tensor | readonly Tensor[], grad: Tensor | readonly Tensor[], opts: SgdOptions): void {
  const op = 'sgdUpdate';
  if (!opts || typeof opts !== 'object') throw new NNError(`${op}: expected options {learningRate, momentum?, velocity?}, got ${String(opts)}`);
  const { learningRate: lr, momentum = 0, nesterov = false } = opts;
  if (typeof lr !== 'number' || !Number.isFinite(lr)) throw new NNError(`${op}: learningRate must be a finite number, got ${String(lr)}`);
  if (typeof momentum !== 'number' || !Number.isFinite(momentum) || momentum < 0) throw new NNError(`${op}: momentum must be a finite number >= 0, got ${String(momentum)}`);
  const params = asList(param);
  const grads = asList(grad);
  const useMomentum = momentum > 0;
  const vels = useMomentum ? asList(opts.velocity) : [];
  if (grads.length !== params.length) throw new NNError(`${op}: got ${params.length} parameter tensor(s) and ${grads.length} gradient(s)`);
  if (useMomentum && vels.length !== params.length) {
    throw new NNError(`${op}: momentum ${momentum} needs one velocity tensor per parameter (${params.length}), got ${vels.length}`);
  }
  params.forEach((p, i) => {
    rt.checkTensor(op, p, `param ${i}`);
    rt.checkTensor(op, grads[i], `grad ${i}`);
    if (!sameShape(p.shape, grads[i].shape)) throw new NNError(`${op}: expected grad ${i} of shape ${formatShape(p.shape)} (its param), got ${formatShape(grads[i].shape)}`);
    if (useMomentum) {
      rt.checkTensor(op, vels[i], `velocity ${i}`);
      if (!sameShape(p.shape, vels[i].shape)) throw new NNError(`${op}: expected velocity ${i} of shape ${formatShape(p.shape)} (its param), got ${formatShape(vels[i].shape)}`);
    }
  });
  const written = [...params, ...vels];
  if (new Set(written).size !== written.length) throw new NNError(`${op}: a tensor appears twice among the parameters and velocities`);
  if (written.some((t) => grads.includes(t))) throw new NNError(`${op}: a gradient is also a parameter or velocity being updated`);
  const count = params.length;
  const label = `sgd.update ${params.map((p) => formatShape(p.shape)).join(' ')}`;
  rt.run({
    op: label,
    inputs: grads,
    outputs: [],
    writes: written,
    tolerance: { ulp: 2 },
    gpu: (s, gs, ws) => {
      const ps = ws.slice(0, count);
      const vs = ws.slice(count);
      const entry = useMomentum ? 'update_momentum' : 'update';
      const pipeline = s.pipeline(SHADERS, entry, { NESTEROV: +nesterov }, `sgd:${entry}`);
      for (let i = 0; i < count; i += 2) {
        const pair = [i, i + 1].filter((j) => j < count);
        for (const j of pair) checkBindable(label, s, ps[j], 'param');
        const n = pair.map((j) => ps[j].size);
        if (n[0] + (n[1] ?? 0) === 0) continue;
        const scratch: GPUBuffer[] = [];
        const buf = (t: GpuTensor | undefined): GPUBuffer => {
          if (t) return t.buffer;
          const b = s.createStorage(16, `${label}:unused`);
          scratch.push(b);
          return b;
        };
        const bindings = [
          { binding: 0, buffer: gs[i].buffer },
          { binding: 1, buffer: (gs[i + 1] ?? gs[i]).buffer },
          { binding: 2, buffer: ps[i].buffer },
          { binding: 3, buffer: buf(pair.length > 1 ? ps[i + 1] : undefined) },
        ];
        if (useMomentum) {
          bindings.push({ binding: 4, buffer: vs[i].buffer }, { binding: 5, buffer: buf(pair.length > 1 ? vs[i + 1] : undefined) });
        }
        const u = new ArrayBuffer(16);
        new Float32Array(u, 0, 2).set([lr, momentum]);
        new Uint32Array(u, 8, 2).set([n[0], n[1] ?? 0]);
        s.dispatch({ label, pipeline, bindings, uniform: new Uint8Array(u), uniformBinding: 6, workgroups: Math.ceil((n[0] + (n[1] ?? 0)) / WG) });
        for (const b of scratch) s.releaseStorage(b);
      }
    },
    cpu: (gs, ws) => {
      for (let i = 0; i < count; i++) sgdCpu(ws[i], useMomentum ? ws[count + i] : null, gs[i], lr, momentum, nesterov);
    },
  });
}
