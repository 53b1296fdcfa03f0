/**
 * The facts about one device that kernels plan their dispatches from, read once when a scheduler
 * is made. A kernel family turns them into its dispatch plan once per scheduler
 * (`Scheduler.plan`), so recording an op reads no adapter info and no module state.
 */

export interface DeviceProfile {
  /**
   * A CPU implementation of WebGPU (lavapipe, SwiftShader, WARP): invocations, workgroups and
   * barriers cost much, private arrays are ordinary memory.
   */
  readonly software: boolean;
  /**
   * Machine code is made at a pipeline's first dispatch, on the queue (lavapipe / llvmpipe), not
   * when the pipeline is created: a pipeline created "in the background" still stalls the first
   * submit that uses it, for many seconds when its shader is large.
   */
  readonly compilesOnFirstDispatch: boolean;
  /**
   * The subgroup size when the device has the 'subgroups' feature and the adapter a single size
   * (a power of two in [4, 128]); 0 otherwise (kernels then reduce through workgroup memory).
   */
  readonly subgroupSize: number;
  /** maxComputeInvocationsPerWorkgroup (128 on compatibility-mode devices, 256+ elsewhere). */
  readonly maxWorkgroupSize: number;
}

/** Choices a plan would otherwise make from the profile, pinned (tests, benchmarks). */
export interface KernelTuning {
  /** Softmax family: rows per workgroup of the register kernels (0: from the profile). */
  rowsPerGroup?: number;
  /** Softmax family: split every long row into chunks of about this many elements (0: from the profile). */
  longChunk?: number;
  /**
   * Softmax family: gradients and cross-entropy on the register path: 'always' up to its limit,
   * 'never', or 'auto' (CPU adapters only for rows up to 256).
   */
  reg2?: 'auto' | 'always' | 'never';
  /**
   * Dense / matmul GEMM: 'tiled' (workgroup-memory tiles, real GPUs) or 'direct' (register blocks
   * only: barriers are slow on CPU adapters, where it runs about 2x faster). Default: from the profile.
   */
  gemm?: 'tiled' | 'direct';
}

type AdapterFacts = { architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean; subgroupMinSize?: number; subgroupMaxSize?: number };

/** The profile of `device`; `overrides` replace detected facts (e.g. `{subgroupSize: 0}`). */
export function deviceProfile(device: GPUDevice, overrides: Partial<DeviceProfile> = {}): DeviceProfile {
  const info: AdapterFacts = (device as GPUDevice & { adapterInfo?: AdapterFacts }).adapterInfo ?? {};
  const names = `${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`;
  const software = info.isFallbackAdapter === true || info.architecture === 'software' || /llvmpipe|lavapipe|swiftshader|\bwarp\b/i.test(names);
  const compilesOnFirstDispatch = /llvmpipe|lavapipe/i.test(names);
  const sg = info.subgroupMinSize ?? 0;
  const single = device.features.has('subgroups') && sg >= 4 && sg <= 128 && sg === info.subgroupMaxSize && (sg & (sg - 1)) === 0;
  return Object.freeze({
    software,
    compilesOnFirstDispatch,
    subgroupSize: single ? sg : 0,
    maxWorkgroupSize: device.limits.maxComputeInvocationsPerWorkgroup,
    ...overrides,
  });
}
