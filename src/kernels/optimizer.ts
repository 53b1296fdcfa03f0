/**
 * In-place optimizer steps (Keras 3 semantics) on parameter tensors: shaders/optimizer.wgsl on
 * the GPU, `optUpdate32` (src/model/optimizers.ts) on the CPU, the same float32 operations in the
 * same order. `sgdUpdate` is the public SGD form of it.
 */
import optimizerShader from '../../shaders/optimizer.wgsl?raw';
import { NNError, describeValue, formatShape } from '../errors';
import { IDS_LIB, MATH_LIB, OPTIMIZERS_LIB, type ShaderFile } from '../gpu/shaders';
import { Optimizer, optUpdate32, writeOptStep, type OptStep } from '../model/optimizers';
import type { Runtime } from '../runtime';
import { sameShape } from '../shape';
import type { Tensor } from '../tensor';
import { checkBindable } from './dense';

const KERNEL: ShaderFile = { file: 'optimizer.wgsl', code: optimizerShader };
const SHADERS = [MATH_LIB, IDS_LIB, OPTIMIZERS_LIB, KERNEL];
const WG = 256;

function uniform(o: OptStep, n: number, alpha: number): Uint8Array {
  const buf = new ArrayBuffer(64);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  writeOptStep(u, f, 0, o);
  u[12] = n;
  f[13] = alpha;
  return new Uint8Array(buf);
}

/**
 * One step: params[i] updated from grads[i] with state tensors states[i] ([slots * size], slot-major;
 * null when the optimizer keeps none). `alpha` is Adam's bias-corrected step (adamAlpha).
 * The caller validates (the trainers pass what they made).
 */
export function optimizerStep(rt: Runtime, params: readonly Tensor[], grads: readonly Tensor[], states: readonly (Tensor | null)[], o: OptStep, alpha: number): void {
  const label = `optimizer.update ${params.map((p) => formatShape(p.shape)).join(' ')}`;
  const stateList = states.filter((t): t is Tensor => t !== null);
  rt.run({
    op: label,
    inputs: [...grads],
    outputs: [],
    writes: [...params, ...stateList],
    tolerance: { ulp: 4 },
    gpu: (s, gs, ws) => {
      const pipeline = s.pipeline(SHADERS, 'update', {}, 'optimizer:update');
      let k = params.length;
      params.forEach((_, i) => {
        const pg = ws[i];
        checkBindable(label, s, pg, 'param');
        if (pg.size === 0) return;
        const st = states[i] ? ws[k++] : null;
        s.dispatch({
          label,
          pipeline,
          bindings: [{ binding: 0, buffer: gs[i].buffer }, { binding: 1, buffer: pg.buffer }, { binding: 2, buffer: st ? st.buffer : s.placeholder() }],
          uniform: uniform(o, pg.size, alpha),
          uniformBinding: 3,
          workgroups: Math.ceil(pg.size / WG),
        });
      });
    },
    cpu: (gs, ws) => {
      let k = params.length;
      params.forEach((p, i) => {
        const w = ws[i];
        const st = states[i] ? ws[k++] : new Float32Array(0);
        for (let j = 0; j < w.length; j++) w[j] = optUpdate32(o, alpha, w[j], gs[i][j], st, p.size, j);
      });
    },
  });
}

export interface SgdOptions {
  learningRate: number;
  /** Keras `momentum` (default 0: plain gradient descent). */
  momentum?: number;
  /** Velocity tensors (one per parameter, same shapes, start at zeros); required with momentum. */
  velocity?: Tensor | readonly Tensor[];
  nesterov?: boolean;
}

const asList = (t: Tensor | readonly Tensor[] | undefined): readonly Tensor[] => (t === undefined ? [] : Array.isArray(t) ? t : [t as Tensor]);

/** param -= lr * grad, or with momentum v = momentum v - lr grad; param += v (Nesterov: param += momentum v - lr grad). In place. */
export function sgdUpdate(rt: Runtime, param: Tensor | readonly Tensor[], grad: Tensor | readonly Tensor[], opts: SgdOptions): void {
  const op = 'sgdUpdate';
  if (!opts || typeof opts !== 'object') throw new NNError(`${op}: expected options {learningRate, momentum?, velocity?}, got ${describeValue(opts)}`);
  const { learningRate: lr, momentum = 0, nesterov = false } = opts;
  if (typeof lr !== 'number' || !Number.isFinite(lr)) throw new NNError(`${op}: learningRate must be a finite number, got ${describeValue(lr)}`);
  if (typeof momentum !== 'number' || !Number.isFinite(momentum) || momentum < 0) throw new NNError(`${op}: momentum must be a finite number >= 0, got ${describeValue(momentum)}`);
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
  // momentum may exceed Keras' [0, 1] here (a raw op); the step takes it as given.
  const step = new Optimizer('sgd', { learningRate: Math.abs(lr) || 1, nesterov }).step(lr);
  step.momentum = Math.fround(momentum);
  optimizerStep(rt, params, grads, params.map((_, i) => (useMomentum ? vels[i] : null)), step, 0);
}
