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

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
