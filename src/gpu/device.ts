import { NNError } from '../errors';
import { installGentlePolling } from './node-polling';

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  featureLevel: 'core' | 'compatibility';
  features: string[];
}

export interface AcquiredDevice {
  device: GPUDevice;
  adapter: GPUAdapter;
  info: AdapterInfo;
}

export interface DeviceOptions {
  /** Use this GPU (e.g. `navigator.gpu` of a page, or Dawn's `create()`) instead of finding one. */
  gpu?: GPU;
  /** Options passed to Dawn's `create()` in Node, e.g. `['backend=opengl']`. */
  dawnOptions?: string[];
  powerPreference?: GPUPowerPreference;
}

const INSTALL_HINT =
  'No WebGPU adapter was found. In a browser, use one with WebGPU enabled (Chrome/Edge 113+, ' +
  'or --enable-unsafe-webgpu). In Node, webgpu-nn uses Dawn (npm package "webgpu"), which needs a ' +
  'Vulkan driver: on Linux without a GPU install Mesa\'s lavapipe (Debian: mesa-vulkan-drivers from ' +
  'bookworm-backports; Ubuntu: mesa-vulkan-drivers), or pass {backend: "cpu"} to createRuntime.';

const OPTIONAL_FEATURES = ['timestamp-query', 'subgroups', 'shader-f16'] as GPUFeatureName[];

/**
 * Dawn's GPU objects, one per set of options, shared by every runtime of the process. Each
 * must outlive the devices made from it (or Node crashes), so they are kept for the process.
 * Sharing also means Dawn's adapter discovery runs once: on Mesa's lavapipe it prints two lines
 * to stderr from native code ("Warning: maxDynamicUniformBuffersPerPipelineLayout artificially
 * reduced from 1000000 to 16 ...", the same for storage buffers), which JavaScript cannot
 * filter; they are harmless (Dawn caps a limit lavapipe reports as unbounded) and now appear
 * once per process instead of once per runtime.
 */
const dawnGpus = new Map<string, Promise<GPU>>();

function nodeGpu(dawnOptions: string[]): Promise<GPU> {
  const key = JSON.stringify(dawnOptions);
  let gpu = dawnGpus.get(key);
  if (!gpu) {
    gpu = createDawnGpu(dawnOptions);
    dawnGpus.set(key, gpu);
    gpu.catch(() => dawnGpus.delete(key));
  }
  return gpu;
}

async function createDawnGpu(dawnOptions: string[]): Promise<GPU> {
  const specifier = 'webgpu';
  let mod: { create: (opts: string[]) => GPU; globals: Record<string, unknown> };
  try {
    mod = await import(/* @vite-ignore */ specifier);
  } catch (e) {
    throw new NNError(`createRuntime: could not load the Dawn bindings (npm "webgpu"): ${(e as Error).message}. ${INSTALL_HINT}`);
  }
  for (const [k, v] of Object.entries(mod.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  return mod.create(dawnOptions);
}

function findGpu(): GPU | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  return nav?.gpu;
}

export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return !!p?.versions?.node && !(globalThis as { window?: unknown }).window;
}

export async function acquireDevice(options: DeviceOptions = {}): Promise<AcquiredDevice> {
  let gpu = options.gpu ?? findGpu();
  if (!gpu && isNode()) gpu = await nodeGpu(options.dawnOptions ?? []);
  if (!gpu) throw new NNError(`createRuntime: navigator.gpu is not available. ${INSTALL_HINT}`);
  if (isNode()) installGentlePolling();

  let featureLevel: 'core' | 'compatibility' = 'core';
  let adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) {
    featureLevel = 'compatibility';
    adapter = await gpu.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions);
  }
  if (!adapter) throw new NNError(`createRuntime: ${INSTALL_HINT}`);

  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  // Ask for the adapter's maximum limits: big buffers and bindings, big workgroups.
  const requiredLimits: Record<string, number> = {};
  for (const key in adapter.limits) {
    const v = (adapter.limits as unknown as Record<string, unknown>)[key];
    if (typeof v === 'number') requiredLimits[key] = v;
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits, label: 'webgpu-nn' });
  } catch {
    device = await adapter.requestDevice({ requiredFeatures, label: 'webgpu-nn' });
  }
  const raw = adapter.info ?? ({} as GPUAdapterInfo);
  const info: AdapterInfo = {
    vendor: raw.vendor ?? '',
    architecture: raw.architecture ?? '',
    device: raw.device ?? '',
    description: raw.description ?? '',
    featureLevel,
    features: [...device.features].map(String).sort(),
  };
  return { device, adapter, info };
}
