/**
 * The general (per-op) training path: any Dense network and batch size, through the runtime's
 * ops (denseForward / dense, lossGrad, denseGrad, sgdUpdate, softmax). The few steps those ops
 * lack come from shaders/train_small.wgsl: the Keras activation derivatives from the output y
 * (so this path gives the fused kernel's numbers), row gathers for shuffled batches, and the
 * per-epoch loss/metric sums, accumulated on the GPU and read back a chunk of epochs at a time.
 * On the CPU backend the same code runs each op's CPU twin.
 */
import type { Scheduler } from '../gpu/scheduler';
import type { Runtime } from '../runtime';
import type { Tensor } from '../tensor';
import { ACT } from '../gpu/ids';
import { VALUE, lossOpName, rowValue32 } from '../losses/table';
import { cpuActBackward, cpuActForward, netPipeline, trainUniform, tsPipeline, type NetSpec } from './train-small';

const fr = Math.fround;
const WG = 64;

function lib(spec: NetSpec) {
  return spec.custom ? spec.custom.lib : null;
}

function dummy(s: Scheduler, label: string): { buffer: GPUBuffer; done(): void } {
  const buffer = s.createStorage(16, `${label}:unused`);
  return { buffer, done: () => s.releaseStorage(buffer) };
}

// ------------------------------------------------------------------ elementwise steps

/** y = act(z) with the fused kernel's formulas (1 relu, 2 sigmoid 1/(1+e^-z), 3 tanh, 5 custom). */
export function actForward(rt: Runtime, spec: NetSpec, code: number, z: Tensor): Tensor {
  const label = `train_small.act_forward ${code} [${z.shape.join(', ')}]`;
  return rt.run({
    op: label,
    inputs: [z],
    outputs: [z.shape],
    gpu: (s, [zg], [yg]) => {
      const pipeline = tsPipeline(s, lib(spec), 'act_forward', { EW_ACT: code });
      s.dispatch({ label, pipeline, bindings: [{ binding: 0, buffer: zg.buffer }, { binding: 5, buffer: yg.buffer }], uniform: trainUniform({ n: z.size }), uniformBinding: 7, workgroups: Math.ceil(z.size / WG) });
    },
    cpu: ([zs], [ys]) => {
      for (let i = 0; i < zs.length; i++) ys[i] = cpuActForward(code, zs[i], spec.custom);
    },
  })[0];
}

/** dz = act'(.) dy from the output y, Keras' way (z only for custom activations). */
export function actBackward(rt: Runtime, spec: NetSpec, code: number, y: Tensor, dy: Tensor, z: Tensor | null): Tensor {
  const label = `train_small.act_backward ${code} [${y.shape.join(', ')}]`;
  return rt.run({
    op: label,
    inputs: z ? [y, dy, z] : [y, dy],
    outputs: [y.shape],
    gpu: (s, [yg, dyg, zg], [dzg]) => {
      const pipeline = tsPipeline(s, lib(spec), 'act_backward', { EW_ACT: code });
      const d = zg ? null : dummy(s, label);
      s.dispatch({
        label,
        pipeline,
        bindings: [{ binding: 0, buffer: yg.buffer }, { binding: 1, buffer: dyg.buffer }, { binding: 3, buffer: zg ? zg.buffer : d!.buffer }, { binding: 5, buffer: dzg.buffer }],
        uniform: trainUniform({ n: y.size }),
        uniformBinding: 7,
        workgroups: Math.ceil(y.size / WG),
      });
      d?.done();
    },
    cpu: ([ys, dys, zs], [dzs]) => {
      for (let i = 0; i < ys.length; i++) dzs[i] = cpuActBackward(code, zs ? zs[i] : 0, ys[i], dys[i], spec.custom);
    },
  })[0];
}

/** Rows perm[start .. start + nb) of x [rows, cols] (perm holds row indices as floats). */
export function gatherRows(rt: Runtime, x: Tensor, perm: Tensor, start: number, nb: number): Tensor {
  const cols = x.shape[1];
  const label = `train_small.gather_rows [${nb}, ${cols}]`;
  return rt.run({
    op: label,
    inputs: [x, perm],
    outputs: [[nb, cols]],
    gpu: (s, [xg, pg], [og]) => {
      const pipeline = tsPipeline(s, null, 'gather_rows', {});
      s.dispatch({ label, pipeline, bindings: [{ binding: 0, buffer: xg.buffer }, { binding: 1, buffer: pg.buffer }, { binding: 5, buffer: og.buffer }], uniform: trainUniform({ n: cols, batch: nb, epoch0: start }), uniformBinding: 7, workgroups: Math.ceil((nb * cols) / WG) });
    },
    cpu: ([xs, ps], [os]) => {
      for (let r = 0; r < nb; r++) os.set(xs.subarray(ps[start + r] * cols, (ps[start + r] + 1) * cols), r * cols);
    },
  })[0];
}

/** dst rows perm[start + r] = src row r (src [nb, cols]). */
export function scatterRows(rt: Runtime, src: Tensor, perm: Tensor, start: number, dst: Tensor): void {
  const [nb, cols] = src.shape;
  const label = `train_small.scatter_rows [${nb}, ${cols}]`;
  rt.run({
    op: label,
    inputs: [src, perm],
    outputs: [],
    writes: [dst],
    gpu: (s, [sg, pg], [dg]) => {
      const pipeline = tsPipeline(s, null, 'scatter_rows', {});
      s.dispatch({ label, pipeline, bindings: [{ binding: 0, buffer: sg.buffer }, { binding: 1, buffer: pg.buffer }, { binding: 5, buffer: dg.buffer }], uniform: trainUniform({ n: cols, batch: nb, epoch0: start }), uniformBinding: 7, workgroups: Math.ceil((nb * cols) / WG) });
    },
    cpu: ([ss, ps], [ds]) => {
      for (let r = 0; r < nb; r++) ds.set(ss.subarray(r * cols, (r + 1) * cols), ps[start + r] * cols);
    },
  });
}

/** Rows [start, start + nb) of x [rows, cols], copied. */
export function sliceRows(rt: Runtime, x: Tensor, start: number, nb: number): Tensor {
  const cols = x.shape[1];
  return rt.run({
    op: `model.rows [${nb}, ${cols}]`,
    inputs: [x],
    outputs: [[nb, cols]],
    gpu: (s, [xg], [og]) => s.copy(xg.buffer, start * cols * 4, og.buffer, 0, nb * cols * 4),
    cpu: ([xs], [os]) => os.set(xs.subarray(start * cols, (start + nb) * cols)),
  })[0];
}

/** dst rows [start, start + nb) = src [nb, cols]. */
export function putRows(rt: Runtime, src: Tensor, dst: Tensor, start: number): void {
  const [nb, cols] = src.shape;
  rt.run({
    op: `model.putRows [${nb}, ${cols}]`,
    inputs: [src],
    outputs: [],
    writes: [dst],
    gpu: (s, [sg], [dg]) => s.copy(sg.buffer, 0, dg.buffer, start * cols * 4, nb * cols * 4),
    cpu: ([ss], [ds]) => ds.set(ss.subarray(0, nb * cols), start * cols),
  });
}

const metricSpecs = new WeakMap<NetSpec, NetSpec>();

/** The spec the metric sums are specialised for (only the output layer matters), one per spec: netPipeline's caches key on it. */
function metricSpec(spec: NetSpec): NetSpec {
  let ms = metricSpecs.get(spec);
  if (!ms) {
    const L = spec.dims.length - 1;
    ms = { dims: [1, spec.dims[L]], acts: [Math.max(0, spec.acts[L - 1])], bias: [true], loss: spec.loss, metrics: spec.metrics, custom: null };
    metricSpecs.set(spec, ms);
  }
  return ms;
}

/** logs[slot * (1 + metrics) + ...] += loss (times each row's sample weight, if given) and metric sums of predictions [nb, K] against targets, in row order. */
export function batchMetrics(rt: Runtime, spec: NetSpec, yPred: Tensor, yTrue: Tensor, logs: Tensor, slot: number, sw: Tensor | null = null): void {
  const ms = metricSpec(spec);
  const K = ms.dims[1];
  const nb = yPred.shape[0];
  const stride = 1 + spec.metrics.length;
  const label = `train_small.batch_metrics [${nb}, ${K}]`;
  rt.run({
    op: label,
    inputs: sw ? [yTrue, yPred, sw] : [yTrue, yPred],
    outputs: [],
    writes: [logs],
    tolerance: { rtol: 1e-5, atol: 1e-6 },
    gpu: (s, [tg, pg, wg], [lg]) => {
      const { pipeline, descriptor } = netPipeline(s, ms, 'batch_metrics', { PRED_IN_STORAGE: 1 });
      const bindings = [{ binding: 1, buffer: tg.buffer }, { binding: 2, buffer: descriptor }, { binding: 3, buffer: pg.buffer }, { binding: 5, buffer: lg.buffer }, { binding: 8, buffer: wg ? wg.buffer : s.placeholder() }];
      s.dispatch({ label, pipeline, bindings, uniform: trainUniform({ batch: nb, slot, sampleWeights: sw }), uniformBinding: 7, workgroups: 1 });
    },
    cpu: ([ts, ps, ws], [ls]) => {
      const o = slot * stride;
      for (let r = 0; r < nb; r++) {
        ls[o] = fr(ls[o] + fr(rowValue32(spec.loss, ps, r * K, ts, r * K, K) * (ws ? ws[r] : 1)));
        spec.metrics.forEach((id, m) => (ls[o + 1 + m] = fr(ls[o + 1 + m] + rowValue32(id, ps, r * K, ts, r * K, K))));
      }
    },
  });
}

/** flags[slot] = 1 when any element of t is NaN or infinite (the per-op engine's weight guard). */
export function flagNonFinite(rt: Runtime, t: Tensor, flags: Tensor, slot: number): void {
  const label = `train_small.check_finite [${t.size}]`;
  rt.run({
    op: label,
    inputs: [t],
    outputs: [],
    writes: [flags],
    gpu: (s, [tg], [fg]) => {
      const pipeline = tsPipeline(s, null, 'check_finite', {});
      s.dispatch({ label, pipeline, bindings: [{ binding: 0, buffer: tg.buffer }, { binding: 5, buffer: fg.buffer }], uniform: trainUniform({ n: t.size, slot }), uniformBinding: 7, workgroups: Math.ceil(t.size / WG) });
    },
    cpu: ([ts], [fs]) => {
      if (!ts.every(Number.isFinite)) fs[slot] = 1;
    },
  });
}

/** x [nb, cols] with each row times its sample weight sw [nb]: a new tensor. */
export function scaleRows(rt: Runtime, x: Tensor, sw: Tensor): Tensor {
  const [nb, cols] = x.shape;
  const label = `train_small.scale_rows [${nb}, ${cols}]`;
  return rt.run({
    op: label,
    inputs: [x, sw],
    outputs: [x.shape],
    gpu: (s, [xg, wg], [og]) => {
      const pipeline = tsPipeline(s, null, 'scale_rows', {});
      s.dispatch({ label, pipeline, bindings: [{ binding: 0, buffer: xg.buffer }, { binding: 5, buffer: og.buffer }, { binding: 8, buffer: wg.buffer }], uniform: trainUniform({ n: cols, batch: nb }), uniformBinding: 7, workgroups: Math.ceil((nb * cols) / WG) });
    },
    cpu: ([xs, ws], [os]) => {
      for (let i = 0; i < nb * cols; i++) os[i] = fr(xs[i] * ws[Math.floor(i / cols)]);
    },
  })[0];
}

// ------------------------------------------------------------------ forward / backward

export interface LayerInfo {
  /** 'linear', 'relu', 'sigmoid', 'tanh', 'softmax', a table activation or the custom one. */
  activation: string;
  useBias: boolean;
}

type Kind = 'epilogue' | 'elementwise' | 'softmax' | 'table';

/** How each layer runs: relu/identity fused into the GEMM; sigmoid, tanh, custom as the fused kernel; softmax; other table activations fused both ways (z kept). */
function kindOf(code: number): Kind {
  if (code === ACT.IDENTITY || code === ACT.RELU) return 'epilogue';
  if (code === ACT.SIGMOID || code === ACT.TANH || code === ACT.CUSTOM) return 'elementwise';
  if (code === ACT.SOFTMAX) return 'softmax';
  return 'table';
}

export class GeneralNet {
  readonly L: number;
  readonly kinds: Kind[];
  private lossOp: string | null = null;
  constructor(
    readonly rt: Runtime,
    readonly spec: NetSpec,
    readonly layers: LayerInfo[],
  ) {
    this.L = layers.length;
    this.kinds = spec.acts.map(kindOf);
  }

  /** a[0] = x, a[l] = output of layer l; z[l] where backward needs it. */
  forward(params: readonly Tensor[], x: Tensor, train: boolean): { a: Tensor[]; z: (Tensor | null)[] } {
    const { rt, spec } = this;
    const a: Tensor[] = [x];
    const z: (Tensor | null)[] = [null];
    for (let l = 1; l <= this.L; l++) {
      const W = params[2 * l - 2];
      const b = params[2 * l - 1];
      const code = spec.acts[l - 1];
      const prev = a[l - 1];
      switch (this.kinds[l - 1]) {
        case 'epilogue':
          a.push(rt.dense(prev, W, b, code === ACT.RELU ? { activation: 'relu' } : {}));
          z.push(null);
          break;
        case 'elementwise': {
          const zz = rt.dense(prev, W, b);
          a.push(actForward(rt, spec, code, zz));
          z.push(zz);
          break;
        }
        case 'softmax': {
          const zz = rt.dense(prev, W, b);
          a.push(rt.softmax(zz));
          z.push(zz);
          break;
        }
        default: {
          const r = rt.denseForward(prev, W, b, { activation: this.layers[l - 1].activation, keepPreActivation: train });
          a.push(r.y);
          z.push(r.z);
        }
      }
    }
    return { a, z };
  }

  /** dL/dz of layer l from dL/dy (for 'table' layers dy itself: denseGrad applies the derivative). */
  private dzOf(l: number, a: Tensor[], z: (Tensor | null)[], dy: Tensor): Tensor {
    const code = this.spec.acts[l - 1];
    switch (this.kinds[l - 1]) {
      case 'epilogue':
        return code === ACT.RELU ? actBackward(this.rt, this.spec, ACT.RELU, a[l], dy, null) : dy;
      case 'elementwise':
        return actBackward(this.rt, this.spec, code, a[l], dy, code === ACT.CUSTOM ? z[l] : null);
      case 'softmax':
        return this.rt.softmaxGrad(a[l], dy);
      default:
        return dy;
    }
  }

  /** Gradients [dkernel, dbias] per layer for targets t (mean over the batch rows). */
  backward(params: readonly Tensor[], a: Tensor[], z: (Tensor | null)[], t: Tensor, sw: Tensor | null = null): Tensor[] {
    const { rt, spec, L } = this;
    const out = a[L];
    const lastCode = spec.acts[L - 1];
    let dz: Tensor;
    if (spec.loss === VALUE.CCE && lastCode === ACT.SOFTMAX) dz = rt.lossGrad('categoricalCrossentropy', z[L]!, t, { fromLogits: true });
    else if (spec.loss === VALUE.BCE && lastCode === ACT.SIGMOID) dz = rt.lossGrad('binaryCrossentropy', z[L]!, t, { fromLogits: true });
    else dz = this.dzOf(L, a, z, rt.lossGrad((this.lossOp ??= lossOpName(spec.loss)), out, t));
    // class weights scale each row's dL/dz (as the fused kernel does)
    if (sw) dz = scaleRows(rt, dz, sw);
    const grads: Tensor[] = new Array(2 * L);
    for (let l = L; l >= 1; l--) {
      const W = params[2 * l - 2];
      const table = this.kinds[l - 1] === 'table';
      const g = rt.denseGrad(a[l - 1], W, dz, table ? { activation: this.layers[l - 1].activation, z: z[l]!, computeDx: l > 1 } : { computeDx: l > 1 });
      grads[2 * l - 2] = g.dkernel;
      grads[2 * l - 1] = g.dbias;
      if (l > 1) dz = this.dzOf(l - 1, a, z, g.dx!);
    }
    return grads;
  }
}

// ------------------------------------------------------------------ data

/** Training rows: resident on the GPU (a tensor) or streamed from host memory a batch at a time. */
export class Rows {
  constructor(
    readonly rt: Runtime,
    readonly tensor: Tensor | null,
    readonly host: Float32Array | null,
    readonly n: number,
    readonly cols: number,
  ) {}

  /** The batch of rows [start, start + nb) of this epoch's order (perm: host order; permT: same on the GPU). */
  batch(start: number, nb: number, perm: Uint32Array | null, permT: Tensor | null): Tensor {
    const { rt, cols } = this;
    if (this.tensor) {
      if (perm && permT) return gatherRows(rt, this.tensor, permT, start, nb);
      if (start === 0 && nb === this.n) return this.tensor;
      return sliceRows(rt, this.tensor, start, nb);
    }
    const h = this.host!;
    const out = new Float32Array(nb * cols);
    if (perm) for (let r = 0; r < nb; r++) out.set(h.subarray(perm[start + r] * cols, (perm[start + r] + 1) * cols), r * cols);
    else out.set(h.subarray(start * cols, (start + nb) * cols));
    return rt.fromData(out, [nb, cols], 'fit batch');
  }
}

/** Forward pass of x in batches: [n, K]. */
export function predictGeneral(net: GeneralNet, params: readonly Tensor[], x: Rows): Tensor {
  const { rt, spec, L } = net;
  const out = rt.allocate([x.n, spec.dims[L]], 'predict');
  for (let b0 = 0; b0 < x.n; b0 += 4096) {
    const nb = Math.min(4096, x.n - b0);
    rt.tidy(() => {
      const { a } = net.forward(params, x.batch(b0, nb, null, null), false);
      putRows(rt, a[L], out, b0);
      return null;
    });
  }
  return out;
}

/** Mean loss and metrics over x, y: [1 + metrics]. */
export async function evaluateGeneral(net: GeneralNet, params: readonly Tensor[], x: Rows, y: Rows): Promise<number[]> {
  const { rt, spec, L } = net;
  const logs = rt.zeros([1 + spec.metrics.length]);
  for (let b0 = 0; b0 < x.n; b0 += 4096) {
    const nb = Math.min(4096, x.n - b0);
    rt.tidy(() => {
      const { a } = net.forward(params, x.batch(b0, nb, null, null), false);
      batchMetrics(rt, spec, a[L], y.batch(b0, nb, null, null), logs, 0);
      return null;
    });
  }
  const v = await logs.read();
  logs.dispose();
  return Array.from(v, (s) => fr(s / x.n));
}
