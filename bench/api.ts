/**
 * The parts of the library the benchmarks use that may not have landed yet. Each section asks
 * here first and prints a note instead of failing when its API is missing, so `npm run bench`
 * always runs.
 */
import type { Runtime } from '../src/runtime';
import type { Tensor } from '../src/tensor';

type Op1 = (x: Tensor, opts?: { axis?: number }) => Tensor;
type LossFn = (name: string, logits: Tensor, t: Tensor, opts?: { fromLogits?: boolean }) => Tensor;

/** Runtime methods that other work adds; looked up by name at run time. */
export interface LaterOps {
  softmax?: Op1;
  logSoftmax?: Op1;
  loss?: LossFn;
  lossGrad?: LossFn;
  matmul?: (a: Tensor, b: Tensor) => Tensor;
  dense?: (...args: unknown[]) => unknown;
  denseGrad?: (...args: unknown[]) => unknown;
  sgdUpdate?: (...args: unknown[]) => unknown;
}

export function laterOps(rt: Runtime): LaterOps {
  return rt as unknown as LaterOps;
}

/** Names in `names` that `rt` does not have as methods. */
export function missing(rt: Runtime, names: (keyof LaterOps)[]): string[] {
  const ops = rt as unknown as Record<string, unknown>;
  return names.filter((n) => typeof ops[n] !== 'function');
}

/** The model API (src/model) as far as the benchmarks use it. */
/** What the benchmarks call on a model. */
export interface ModelLike {
  compile(args: { optimizer?: unknown; loss: string; metrics?: string[] }): void;
  fit(x: unknown, y: unknown, args?: { epochs?: number; batchSize?: number; shuffle?: boolean }): Promise<unknown>;
  setWeights(weights: readonly unknown[]): void;
  getWeights(): Promise<unknown[]>;
  dispose(): void;
}

export interface ModelApi {
  Sequential: new (layers: unknown[], opts?: { runtime?: Runtime }) => ModelLike;
  /** A factory, as Keras: `Dense({units, activation})`. */
  Dense: (config: { units: number; activation?: string; inputShape?: number[] }) => unknown;
  [k: string]: unknown;
}

/** Loads src/model if it exists (or the same names from src/index), else returns the reason. */
export async function loadModelApi(): Promise<ModelApi | string> {
  const tried: string[] = [];
  for (const spec of ['../src/model/index.ts', '../src/model.ts', '../src/index.ts']) {
    try {
      const mod = (await import(/* @vite-ignore */ spec)) as Record<string, unknown>;
      if (typeof mod.Sequential === 'function' && typeof mod.Dense === 'function') return mod as unknown as ModelApi;
      tried.push(`${spec.replace('../', '')}: no Sequential/Dense export`);
    } catch (e) {
      tried.push(`${spec.replace('../', '')}: ${String((e as Error).message).split('\n')[0]}`);
    }
  }
  return `model API not available (${tried.join('; ')})`;
}
