/** Errors raised by webgpu-nn. Every message names the op and what was wrong. */

export class NNError extends Error {
  override name = 'NNError';
}

/** A WebGPU validation, out-of-memory or internal error raised by work we submitted. */
export class GpuError extends NNError {
  override name = 'GpuError';
  constructor(
    message: string,
    readonly kind: 'validation' | 'out-of-memory' | 'internal' | 'unknown',
  ) {
    super(message);
  }
}

/** The device was lost (destroyed, driver reset); `runtime.recover()` gets a fresh one. */
export class DeviceLostError extends NNError {
  override name = 'DeviceLostError';
}

/** `verify: true` found the GPU and the CPU path disagreeing. */
export class VerifyError extends NNError {
  override name = 'VerifyError';
}

export function fail(op: string, message: string): never {
  throw new NNError(`${op}: ${message}`);
}

const shapeText = new WeakMap<readonly number[], string>();
/** '[2, 3]'. Frozen shapes (tensors' own) are formatted once: op labels use this per op. */
export function formatShape(shape: readonly number[]): string {
  let text = shapeText.get(shape);
  if (text === undefined) {
    text = `[${shape.join(', ')}]`;
    if (Object.isFrozen(shape)) shapeText.set(shape, text);
  }
  return text;
}
