/**
 * TensorFlow.js on its WebGPU backend, on the same Dawn adapter as webgpu-nn. run.ts sets
 * `globalThis.navigator = { gpu }` before this module is loaded; tfjs is imported dynamically
 * so that it finds it.
 */

type TF = typeof import('@tensorflow/tfjs-core');
type TFL = typeof import('@tensorflow/tfjs-layers');
type TfTensor = import('@tensorflow/tfjs-core').Tensor;

export interface Tfjs {
  tf: TF;
  tfl: TFL | null;
  /** Submits tfjs's pending commands and waits until the GPU has run them. */
  sync(): Promise<void>;
  /** Runs `op` once inside a validation error scope; the GPU error message, or null. */
  gpuError(op: () => TfTensor | TfTensor[] | void): Promise<string | null>;
  /** Wall ms per op of one measurement: `n` ops back to back, then sync (no warm-up). */
  once(op: () => TfTensor | TfTensor[] | void, n: number): Promise<number>;
  adapter: string;
}

export async function loadTfjs(): Promise<Tfjs> {
  const tf = (await import('@tensorflow/tfjs-core')) as TF;
  await import('@tensorflow/tfjs-backend-webgpu');
  const ok = await tf.setBackend('webgpu');
  if (!ok || tf.getBackend() !== 'webgpu') throw new Error('tfjs: the webgpu backend did not initialise');
  await tf.ready();
  let tfl: TFL | null = null;
  try {
    tfl = (await import('@tensorflow/tfjs-layers')) as TFL;
  } catch {
    tfl = null;
  }
  const backend = tf.backend() as unknown as {
    submitQueue?: () => void;
    endComputePassEncoder?: () => void;
    commandEncoder?: GPUCommandEncoder | null;
    device: GPUDevice;
    adapterInfo?: { vendor?: string; architecture?: string; description?: string };
  };
  const sync = async () => {
    // What tfjs does before a read: end the open pass, submit (only if something is recorded).
    if (backend.commandEncoder) {
      backend.endComputePassEncoder?.();
      backend.submitQueue?.();
    }
    await backend.device.queue.onSubmittedWorkDone();
  };
  const once = async (op: () => TfTensor | TfTensor[] | void, n: number) => {
    await sync();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const r = op();
      if (Array.isArray(r)) r.forEach((t) => t.dispose());
      else r?.dispose();
    }
    await sync();
    return (performance.now() - t0) / n;
  };
  const gpuError = async (op: () => TfTensor | TfTensor[] | void): Promise<string | null> => {
    await sync();
    backend.device.pushErrorScope('validation');
    const r = op();
    await sync();
    const err = await backend.device.popErrorScope();
    if (Array.isArray(r)) r.forEach((t) => t.dispose());
    else r?.dispose();
    return err ? err.message.split('\n')[0] : null;
  };
  const info = backend.adapterInfo;
  return { tf, tfl, sync, once, gpuError, adapter: [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') };
}

/**
 * Parameters our side runs with, so that both sides compute the same function as
 * `tfActivation` below (the defaults elsewhere).
 */
export const BENCH_PARAMS: Record<string, Record<string, number>> = { linear: { a: 1.5, b: 1 } };

/**
 * What a tfjs user writes for each of our activations: the Keras activation of tfjs-layers
 * where it has one, else tfjs-core ops. null where tfjs has no kernel (identity).
 */
export function tfActivation(t: Tfjs, name: string): ((x: TfTensor) => TfTensor) | null {
  const tf = t.tf;
  const layersNames: Record<string, string> = {
    sigmoid: 'sigmoid', tanh: 'tanh', relu: 'relu', relu6: 'relu6', elu: 'elu', selu: 'selu', softplus: 'softplus',
    softsign: 'softsign', hardSigmoid: 'hardSigmoid', silu: 'swish', gelu: 'gelu', mish: 'mish',
  };
  const core: Record<string, (x: TfTensor) => TfTensor> = {
    sigmoid: (x) => tf.sigmoid(x),
    tanh: (x) => tf.tanh(x),
    relu: (x) => tf.relu(x),
    relu6: (x) => tf.relu6(x),
    elu: (x) => tf.elu(x),
    selu: (x) => tf.selu(x),
    softplus: (x) => tf.softplus(x),
    leakyRelu: (x) => tf.leakyRelu(x, 0.2),
    step: (x) => tf.step(x, 0),
    linear: (x) => tf.add(tf.mul(x, 1.5), 1),
    celu: (x) => tf.elu(x), // celu with the default alpha = 1 is elu
    hardSwish: (x) => tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6)),
  };
  const layer = layersNames[name];
  if (layer && t.tfl) {
    const l = t.tfl.layers.activation({ activation: layer as never });
    return (x) => l.apply(x) as TfTensor;
  }
  return core[name] ?? null;
}
