/**
 * Paired measurement of one workload: in every round the op (GPU replay and wall time), the
 * copy-kernel yardstick and TensorFlow.js run one after the other, so load from other work on
 * the machine hits them alike; ratios are medians of the per-round ratios.
 */
import type { Tensor } from '../src/tensor';
import type { Ctx } from './context';
import { capture, median, wallOnce } from './timing';
import type { Tfjs } from './tfjs';

type TfTensor = import('@tensorflow/tfjs-core').Tensor;
type Disposable = { dispose(): void };

/** What an op returns: tensors to dispose (or nothing). */
export type OpResult = Tensor | readonly (Tensor | null)[] | Record<string, Tensor | null> | void;

export function disposeResult(r: OpResult): void {
  if (!r) return;
  if ('dispose' in r && typeof (r as Tensor).dispose === 'function') return (r as Tensor).dispose();
  for (const t of Object.values(r)) t?.dispose();
}

function asDisposable(op: () => OpResult): () => Disposable {
  return () => {
    const r = op();
    return { dispose: () => disposeResult(r) };
  };
}

/** Median over rounds of a[i] / b[i] (rounds where either is missing are skipped). */
export function pairedRatio(a: (number | null)[], b: (number | null)[]): number | null {
  const r: number[] = [];
  a.forEach((v, i) => {
    const w = b[i];
    if (v != null && w != null && w > 0) r.push(v / w);
  });
  return r.length > 0 ? median(r) : null;
}

export function med(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x != null);
  return v.length > 0 ? median(v) : null;
}

export interface Yardstick {
  /** One GPU-timed copy of the same element count (ms), or null without timestamps. */
  gpu: (() => Promise<number>) | null;
  /** One wall-timed round of copies through the scheduler (ms per copy). */
  wall: (n: number) => Promise<number>;
}

export interface Measured {
  gpuMs: number | null;
  wallMs: number;
  copyGpuMs: number | null;
  copyWallMs: number | null;
  tfjsMs: number | null;
  /** copy ms / op ms, by GPU time where available (else wall). */
  xCopy: number | null;
  /** tfjs wall ms / our wall ms. */
  xTfjs: number | null;
  /** Why tfjs has no figure. */
  tfjsNote?: string;
  /** How many GPU commands one op recorded. */
  commands: number;
}

export interface MeasureOptions {
  rounds: number;
  /** Ops per wall-time measurement (ours and the copy yardstick). */
  perRound: number;
  /** Ops per tfjs wall-time measurement (default perRound). */
  tfjsPerRound?: number;
  copy?: Yardstick | null;
  tfjsOp?: (() => TfTensor | TfTensor[] | void) | null;
  /** Skip the GPU replay (e.g. ops that read back or that record thousands of commands). */
  noReplay?: boolean;
}

/** Measures `op` (which records GPU work through the runtime) in paired rounds. */
export async function measure(ctx: Ctx, op: () => OpResult, o: MeasureOptions): Promise<Measured> {
  const { rt, timer, tfjs } = ctx;
  const sync = () => rt.sync();
  let commands = 0;
  let replay: { once(): Promise<number>; release(): void } | null = null;
  let held: OpResult = undefined;
  if (timer && !o.noReplay) {
    const c = capture(rt, op);
    held = c.result;
    commands = c.recorded.commands.length;
    replay = await timer.prepare(c.recorded);
  }
  const ours = asDisposable(op);
  const g: (number | null)[] = [];
  const cg: (number | null)[] = [];
  const w: number[] = [];
  const cw: (number | null)[] = [];
  const tw: (number | null)[] = [];
  let tfjsNote: string | undefined;
  let tfOp = tfjs ? o.tfjsOp ?? null : null;
  if (tfjs && !tfOp) tfjsNote = 'no tfjs equivalent';
  const tfRound = async (t: Tfjs, n: number): Promise<number | null> => {
    if (!tfOp) return null;
    try {
      return await t.once(tfOp, n);
    } catch (e) {
      tfjsNote = `tfjs failed: ${String((e as Error).message).split('\n')[0].slice(0, 80)}`;
      tfOp = null;
      return null;
    }
  };
  try {
    // Warm-up: pipelines compiled, pools filled.
    await replay?.once();
    await o.copy?.gpu?.();
    await wallOnce(ours, sync, 1);
    if (tfjs) await tfRound(tfjs, 1);
    if (tfjs && tfOp) {
      // tfjs can fail quietly (a GPU validation error leaves its output unwritten, and its
      // times look wonderful): its figures count only if its op raises no GPU error.
      const err = await tfjs.gpuError(tfOp);
      if (err) {
        tfjsNote = `tfjs GPU error, figures dropped: ${err.slice(0, 90)}`;
        tfOp = null;
      }
    }
    for (let r = 0; r < o.rounds; r++) {
      cg.push(o.copy?.gpu ? await o.copy.gpu() : null);
      g.push(replay ? await replay.once() : null);
      w.push(await wallOnce(ours, sync, o.perRound));
      cw.push(o.copy ? await o.copy.wall(o.perRound) : null);
      tw.push(tfjs ? await tfRound(tfjs, o.tfjsPerRound ?? o.perRound) : null);
    }
  } finally {
    replay?.release();
    disposeResult(held);
  }
  const useGpu = replay !== null && o.copy?.gpu != null;
  return {
    gpuMs: med(g),
    wallMs: median(w),
    copyGpuMs: med(cg),
    copyWallMs: med(cw),
    tfjsMs: med(tw),
    xCopy: useGpu ? pairedRatio(cg, g) : pairedRatio(cw, w),
    xTfjs: pairedRatio(tw, w),
    tfjsNote: tfjs ? tfjsNote : undefined,
    commands,
  };
}
