/**
 * Issue 2: every activation, forward and backward over 16M floats, against the copy kernel and
 * copyBufferToBuffer (measured next to each activation, so drift from other load on the
 * machine hits both alike), and against TensorFlow.js; then the cost of 1,000 tiny ops.
 */
import { BUILTIN_ACTIVATIONS } from '../src/activations/table';
import type { Tensor } from '../src/tensor';
import { fmt, goal, newSection, ratio, errorText, type Ctx, type SectionResult } from './context';
import { BENCH_PARAMS, tfActivation } from './tfjs';
import { capture, median, sched, uniformData, wallOnce } from './timing';
import { copyKernel } from './yardsticks';
import { med, pairedRatio } from './measure';

interface Row {
  name: string;
  entry: 'forward' | 'backward';
  /** Medians over the rounds (ms per op). */
  gpuMs: number | null;
  wallMs: number;
  copyGpuMs: number | null;
  bufferGpuMs: number | null;
  copyWallMs: number;
  tfjsMs: number | null;
  /** Medians of the per-round ratios (>1: ours is faster than the other). */
  xCopy: number | null;
  xBuffer: number | null;
  xCopyWall: number | null;
  xTfjs: number | null;
  /** Bytes moved per element (reads + writes). */
  bytesPerElem: number;
  tfjsNote?: string;
}

export async function elementwise(ctx: Ctx): Promise<SectionResult> {
  const { rt, timer, tfjs, flags } = ctx;
  const sec = newSection('elementwise');
  const n = flags.quick ? 2 ** 20 : 16 * 2 ** 20;
  const rounds = 3;
  const perRound = flags.quick ? 3 : 2;
  const tfPerRound = flags.quick ? 2 : 1;
  const sync = () => rt.sync();
  sec.method.push(
    `paired rounds: each figure is taken ${rounds} times, and in every round the op, the copy kernel, copyBufferToBuffer${tfjs ? ' and tfjs' : ''} are measured one after the other; ms are medians, ratios are medians of the per-round ratios (the machine is shared, so only side-by-side ratios mean much)`,
    timer
      ? "GPU ms: timestamp-query around a replay of the op's own recorded dispatches (same pipeline, bind groups, uniforms, grid), one submit per measurement; lavapipe's timestamps tick in 65.5 us steps"
      : 'GPU ms: not available (no timestamp-query on this adapter); ratios use wall time',
    `wall ms: ${perRound} ops back to back through the public API, then await rt.sync(); tfjs the same (${tfPerRound} op(s), then its pending pass submitted and queue.onSubmittedWorkDone())`,
    'x copy = copy-kernel ms / op ms on the same element count by GPU time (>1: faster than a copy); GB/s x copy = the same in bytes moved (backward reads x and dy: 12 bytes per element against the copy\'s 8, so a bandwidth-bound backward kernel reaches 0.67x copy and 1x here); x tfjs = tfjs wall ms / our wall ms',
    'tfjs backward = tf.grad(f)(x, dy), what a tfjs user runs (it may recompute the forward); tfjs forward uses the tfjs-layers Keras activation where one exists, else tfjs-core ops',
  );
  const data = uniformData(n, -6, 6, 1);
  const dyData = uniformData(n, -1, 1, 2);
  const x = rt.tensor(data);
  const dy = rt.tensor(dyData);
  const scratch = rt.zeros([n]);
  const tx = tfjs ? tfjs.tf.tensor1d(data) : null;
  const tdy = tfjs ? tfjs.tf.tensor1d(dyData) : null;
  const rows: Row[] = [];
  ctx.log(`elementwise: ${BUILTIN_ACTIVATIONS.length} activations in the table (${BUILTIN_ACTIVATIONS.map((a) => a.name).join(', ')}), n = ${n}`);
  if (BUILTIN_ACTIVATIONS.length < 4) sec.notes.push(`the activation table lists only ${BUILTIN_ACTIVATIONS.map((a) => a.name).join(', ')} (full table not landed yet)`);
  const xb = (x.storage as { buffer: GPUBuffer }).buffer;
  const sb = (scratch.storage as { buffer: GPUBuffer }).buffer;
  const bytes = Math.ceil(n / 4) * 16;
  const copyK = timer ? await timer.prepare(capture(rt, () => copyKernel(rt, x, scratch)).recorded) : null;
  const copyB = timer ? await timer.prepare(capture(rt, () => sched(rt).copy(xb, 0, sb, 0, bytes)).recorded) : null;
  await copyK?.once();
  await copyB?.once();
  for (const spec of BUILTIN_ACTIVATIONS) {
    const tfF = tfjs ? tfActivation(tfjs, spec.name) : null;
    for (const entry of ['forward', 'backward'] as const) {
      try {
        const params = BENCH_PARAMS[spec.name];
        const run = (): Tensor => (entry === 'forward' ? rt.activation(spec.name, x, params) : rt.activationGrad(spec.name, x, dy, params));
        const { result, recorded } = capture(rt, run);
        const op = timer ? await timer.prepare(recorded) : null;
        const tf = tfjs?.tf;
        let tfNote: string | undefined = tfjs && !tfF ? 'no tfjs kernel' : undefined;
        let tfOp = tf && tfF && tx && tdy ? (entry === 'forward' ? () => tf.tidy(() => tfF(tx)) : () => tf.tidy(() => tf.grad(tfF)(tx, tdy))) : null;
        const g: (number | null)[] = [], ck: (number | null)[] = [], cb: (number | null)[] = [], w: number[] = [], cw: number[] = [], tw: (number | null)[] = [];
        try {
          await op?.once();
          await wallOnce(run, sync, 1);
          if (tfOp && tfjs) {
            try {
              await tfjs.once(tfOp, 1);
              const err = await tfjs.gpuError(tfOp);
              if (err) throw new Error(`GPU error: ${err}`);
            } catch (e) {
              tfNote = `tfjs failed: ${String((e as Error).message).slice(0, 60)}`;
              tfOp = null;
            }
          }
          for (let r = 0; r < rounds; r++) {
            ck.push(copyK ? await copyK.once() : null);
            cb.push(copyB ? await copyB.once() : null);
            g.push(op ? await op.once() : null);
            w.push(await wallOnce(run, sync, perRound));
            cw.push(await wallOnce(() => copyKernel(rt, x, scratch), sync, perRound));
            tw.push(tfOp && tfjs ? await tfjs.once(tfOp, tfPerRound) : null);
          }
        } finally {
          op?.release();
          result.dispose();
        }
        const row: Row = {
          name: spec.name,
          entry,
          gpuMs: med(g),
          wallMs: median(w),
          copyGpuMs: med(ck),
          bufferGpuMs: med(cb),
          copyWallMs: median(cw),
          tfjsMs: med(tw),
          xCopy: timer ? pairedRatio(ck, g) : pairedRatio(cw, w),
          xBuffer: pairedRatio(cb, g),
          xCopyWall: pairedRatio(cw, w),
          xTfjs: pairedRatio(tw, w),
          bytesPerElem: entry === 'forward' ? 8 : 12,
          tfjsNote: tfNote,
        };
        rows.push(row);
        ctx.log(`  ${spec.name}.${entry}: gpu ${fmt(row.gpuMs)} ms (${fmt(row.xCopy)}x copy kernel), wall ${fmt(row.wallMs)} ms${row.tfjsMs !== null ? `, tfjs ${fmt(row.tfjsMs)} ms (${fmt(row.xTfjs)}x)` : ''}`);
      } catch (e) {
        sec.errors.push(`${spec.name}.${entry}: ${errorText(e)}`);
        ctx.log(`  ${spec.name}.${entry}: FAILED ${errorText(e)}`);
      }
    }
  }
  copyK?.release();
  copyB?.release();
  x.dispose();
  dy.dispose();
  scratch.dispose();
  tx?.dispose();
  tdy?.dispose();

  const gelem = (ms: number | null) => (ms ? n / ms / 1e6 : null);
  const opMs = (r: Row) => (timer ? r.gpuMs : r.wallMs);
  const copyMs = med(rows.map((r) => (timer ? r.copyGpuMs : r.copyWallMs)));
  const bufMs = med(rows.map((r) => r.bufferGpuMs));
  sec.tables.push({
    title: `Elementwise over ${n} floats (${timer ? 'GPU timestamps' : 'wall time'}; x tfjs by wall time)`,
    columns: ['activation', 'entry', timer ? 'GPU ms' : 'wall ms', 'Gelem/s', 'GB/s', 'x copy kernel', 'GB/s x copy', 'x copyBuffer', 'wall ms', 'wall x copy', 'tfjs ms', 'x tfjs'],
    rows: [
      ['(copy kernel)', '', fmt(copyMs), fmt(gelem(copyMs)), fmt((gelem(copyMs) ?? 0) * 8), '1', '1', fmt(ratio(bufMs, copyMs)), fmt(med(rows.map((r) => r.copyWallMs))), '1', '', ''],
      ['(copyBufferToBuffer)', '', fmt(bufMs), fmt(gelem(bufMs)), fmt((gelem(bufMs) ?? 0) * 8), fmt(ratio(copyMs, bufMs)), fmt(ratio(copyMs, bufMs)), '1', '', '', '', ''],
      ...rows.map((r) => [
        r.name,
        r.entry,
        fmt(opMs(r)),
        fmt(gelem(opMs(r))),
        fmt((gelem(opMs(r)) ?? 0) * r.bytesPerElem),
        fmt(r.xCopy),
        fmt(r.xCopy === null ? null : (r.xCopy * r.bytesPerElem) / 8),
        fmt(r.xBuffer),
        fmt(r.wallMs),
        fmt(r.xCopyWall),
        r.tfjsNote ?? fmt(r.tfjsMs),
        fmt(r.xTfjs),
      ]),
    ],
  });
  if (rows.length > 0) {
    const vsCopy = rows.map((r) => ({ r, v: r.xCopy ?? 0 }));
    const worst = vsCopy.reduce((a, b) => (b.v < a.v ? b : a));
    sec.goals.push(goal('every elementwise kernel >= 0.8x the copy kernel', vsCopy.every((e) => e.v >= 0.8), `worst ${worst.r.name}.${worst.r.entry} ${fmt(worst.v)}x; ${vsCopy.filter((e) => e.v < 0.8).length} of ${rows.length} below`));
    const withTf = rows.filter((r) => r.xTfjs !== null);
    if (withTf.length > 0) {
      const w = withTf.reduce((a, b) => (b.xTfjs! < a.xTfjs! ? b : a));
      sec.goals.push(goal('every elementwise kernel >= 3x TensorFlow.js', withTf.every((r) => r.xTfjs! >= 3), `worst ${w.name}.${w.entry} ${fmt(w.xTfjs)}x; ${withTf.filter((r) => r.xTfjs! < 3).length} of ${withTf.length} below`));
    } else sec.goals.push(goal('every elementwise kernel >= 3x TensorFlow.js', null, 'run with --compare tfjs'));
  }
  sec.data.n = n;
  sec.data.copyKernelMs = copyMs;
  sec.data.copyBufferMs = bufMs;
  sec.data.rows = rows.map((r) => ({ ...r, gelemPerS: gelem(opMs(r)) }));

  // ---- 1,000 tiny ops recorded together
  try {
    const tiny = await tinyOps(ctx);
    sec.tables.push({
      title: 'Tiny ops: 1,000 chained ops on 1,024 floats recorded together, wall time / 1000 including the final sync',
      columns: ['op', 'us per op', 'of which recording', 'tfjs us per op', 'tfjs recording', 'x tfjs'],
      rows: tiny.map((t) => [t.op, fmt(t.us), fmt(t.recordUs), fmt(t.tfjsUs), fmt(t.tfjsRecordUs), fmt(t.xTfjs)]),
    });
    const worst = Math.max(...tiny.map((t) => t.us));
    sec.goals.push(goal('tiny ops <= 30 us each', worst <= 30, `${fmt(worst)} us`));
    sec.data.tiny = tiny;
  } catch (e) {
    sec.errors.push(`tiny ops: ${errorText(e)}`);
  }
  return sec;
}

interface TinyRow {
  op: string;
  /** Wall us per op including the final sync. */
  us: number;
  /** Of which: us per op spent recording (the loop, before the sync). */
  recordUs: number;
  tfjsUs: number | null;
  tfjsRecordUs: number | null;
  xTfjs: number | null;
}

async function tinyOps(ctx: Ctx): Promise<TinyRow[]> {
  const { rt, tfjs } = ctx;
  const count = 1000;
  const rounds = 4;
  const data = uniformData(1024, -2, 2, 3);
  const x = rt.tensor(data);
  const tx = tfjs?.tf.tensor1d(data);
  type TfTensor = NonNullable<typeof tx>;
  const out: TinyRow[] = [];
  const ours = async (name: string): Promise<[number, number]> => {
    await rt.sync();
    const t0 = performance.now();
    let y: Tensor = x;
    for (let i = 0; i < count; i++) {
      const z = rt.activation(name, y);
      if (y !== x) y.dispose();
      y = z;
    }
    const t1 = performance.now();
    await rt.sync();
    const us = ((performance.now() - t0) / count) * 1000;
    y.dispose();
    return [us, ((t1 - t0) / count) * 1000];
  };
  const theirs = async (name: string): Promise<[number, number] | null> => {
    if (!tfjs || !tx) return null;
    const tf = tfjs.tf;
    const f = name === 'sigmoid' ? (t: TfTensor) => tf.sigmoid(t) : (t: TfTensor) => tf.relu(t);
    await tfjs.sync();
    const t0 = performance.now();
    let y: TfTensor = tx;
    for (let i = 0; i < count; i++) {
      const z = f(y);
      if (y !== tx) y.dispose();
      y = z;
    }
    const t1 = performance.now();
    await tfjs.sync();
    const us = ((performance.now() - t0) / count) * 1000;
    y.dispose();
    return [us, ((t1 - t0) / count) * 1000];
  };
  for (const name of ['sigmoid', 'relu']) {
    await ours(name);
    await theirs(name);
    const a: [number, number][] = [];
    const b: ([number, number] | null)[] = [];
    for (let r = 0; r < rounds; r++) {
      a.push(await ours(name));
      b.push(await theirs(name));
    }
    const row: TinyRow = {
      op: name,
      us: median(a.map((v) => v[0])),
      recordUs: median(a.map((v) => v[1])),
      tfjsUs: med(b.map((v) => v?.[0] ?? null)),
      tfjsRecordUs: med(b.map((v) => v?.[1] ?? null)),
      xTfjs: pairedRatio(b.map((v) => v?.[0] ?? null), a.map((v) => v[0])),
    };
    out.push(row);
    ctx.log(`  tiny ${name}: ${fmt(row.us)} us/op${row.tfjsUs !== null ? `, tfjs ${fmt(row.tfjsUs)} us/op (${fmt(row.xTfjs)}x)` : ''}`);
  }
  x.dispose();
  tx?.dispose();
  return out;
}
