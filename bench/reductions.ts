/**
 * Issue 3: softmax and log-softmax along the last axis of three shapes (many medium rows, very
 * many short rows, few very long rows), and softmax-cross-entropy from logits, forward and
 * backward; Gelem/s (elements of the input per second), against the copy kernel on the same
 * element count and against TensorFlow.js.
 */
import type { Tensor } from '../src/tensor';
import { laterOps, missing } from './api';
import { errorText, fmt, goal, newSection, type Ctx, type SectionResult, type Table } from './context';
import { measure, type Measured } from './measure';
import { uniformData, rng } from './timing';
import { copyYardstick } from './yardsticks';

interface Row {
  op: string;
  shape: number[];
  m: Measured;
  gelem: number | null;
}

export async function reductions(ctx: Ctx): Promise<SectionResult> {
  const { rt, flags, tfjs, timer } = ctx;
  const sec = newSection('reductions');
  const ops = laterOps(rt);
  const rounds = flags.quick ? 3 : 4;
  sec.method.push(
    `paired rounds (${rounds}): op GPU time (timestamp replay of its own dispatches), copy kernel on the same element count, our wall time (ops back to back + sync) and tfjs wall time, one after the other per round; ratios are medians of per-round ratios`,
    'Gelem/s = input elements / op time (GPU time where timestamps exist); x copy = copy-kernel ms / op ms; x tfjs = tfjs wall / our wall',
    'tfjs: tf.softmax / tf.logSoftmax; cross-entropy forward tf.losses.softmaxCrossEntropy(onehot, logits) (mean), backward tf.grad of it w.r.t. the logits, fwd+bwd tf.valueAndGrad',
  );
  const shapes: [number, number][] = flags.quick ? [[512, 1000], [8192, 10], [8, 2 ** 17]] : [[4096, 1000], [65536, 10], [64, 2 ** 20]];
  const rows: Row[] = [];
  const lacking = missing(rt, ['softmax', 'logSoftmax']);
  if (lacking.length > 0) {
    sec.notes.push(`softmax rows skipped: runtime has no ${lacking.join(', ')} yet`);
    ctx.log(`reductions: skipping softmax (runtime has no ${lacking.join(', ')} yet)`);
  } else {
    for (const [r, c] of shapes) {
      const n = r * c;
      let x: Tensor | null = null;
      let stick: Awaited<ReturnType<typeof copyYardstick>> | null = null;
      let tx: import('@tensorflow/tfjs-core').Tensor | null = null;
      try {
        const data = uniformData(n, -8, 8, 10 + r);
        x = rt.tensor(data, [r, c]);
        tx = tfjs ? tfjs.tf.tensor2d(data, [r, c]) : null;
        stick = await copyYardstick(rt, n, timer);
        const big = n > 2 ** 24;
        for (const name of ['softmax', 'logSoftmax'] as const) {
          const xx = x;
          const f = ops[name]!.bind(rt);
          const tf = tfjs?.tf;
          const m = await measure(ctx, () => f(xx, { axis: -1 }), {
            rounds: big ? Math.min(rounds, 3) : rounds,
            perRound: big ? 1 : 2,
            tfjsPerRound: 1,
            copy: stick,
            tfjsOp: tf && tx ? (name === 'softmax' ? () => tf.softmax(tx!) : () => tf.logSoftmax(tx!)) : null,
          });
          const row = { op: name, shape: [r, c], m, gelem: n / ((timer ? m.gpuMs : m.wallMs) ?? NaN) / 1e6 };
          if (m.tfjsNote?.startsWith('tfjs GPU error')) {
            sec.notes.push(`${name} [${r}, ${c}]: ${m.tfjsNote}`);
            m.tfjsNote = 'tfjs GPU error';
          }
          rows.push(row);
          ctx.log(`  ${name} [${r}, ${c}]: ${fmt(row.gelem)} Gelem/s, ${fmt(m.xCopy)}x copy${m.tfjsMs !== null ? `, ${fmt(m.xTfjs)}x tfjs` : ''}`);
        }
      } catch (e) {
        sec.errors.push(`softmax [${r}, ${c}]: ${errorText(e)}`);
        ctx.log(`  softmax [${r}, ${c}]: FAILED ${errorText(e)}`);
      } finally {
        x?.dispose();
        tx?.dispose();
        stick?.release();
      }
    }
  }

  // ---- softmax cross-entropy from logits
  const ceRows: Row[] = [];
  const ceLacking = missing(rt, ['loss', 'lossGrad']);
  if (ceLacking.length > 0) {
    sec.notes.push(`cross-entropy rows skipped: runtime has no ${ceLacking.join(', ')} yet`);
    ctx.log(`reductions: skipping cross-entropy (runtime has no ${ceLacking.join(', ')} yet)`);
  } else {
    const [r, c] = shapes[0];
    const n = r * c;
    const data = uniformData(n, -8, 8, 20);
    const onehot = new Float32Array(n);
    const rand = rng(21);
    for (let i = 0; i < r; i++) onehot[i * c + Math.floor(rand() * c)] = 1;
    const logits = rt.tensor(data, [r, c]);
    const t = rt.tensor(onehot, [r, c]);
    const tf = tfjs?.tf;
    const tl = tf?.tensor2d(data, [r, c]);
    const tt = tf?.tensor2d(onehot, [r, c]);
    const stick = await copyYardstick(rt, n, timer);
    const opts = { fromLogits: true };
    const loss = ops.loss!.bind(rt);
    const lossGrad = ops.lossGrad!.bind(rt);
    const tfLoss = tf && tl && tt ? (l: import('@tensorflow/tfjs-core').Tensor) => tf.losses.softmaxCrossEntropy(tt, l) : null;
    const variants = [
      { op: 'CE forward', run: () => loss('categoricalCrossentropy', logits, t, opts), tfOp: tfLoss && tl && tf ? () => tf.tidy(() => tfLoss(tl)) : null },
      { op: 'CE backward', run: () => lossGrad('categoricalCrossentropy', logits, t, opts), tfOp: tfLoss && tl && tf ? () => tf.tidy(() => tf.grad(tfLoss)(tl)) : null },
      {
        op: 'CE fwd+bwd',
        // one pass over the logits for both (runtime.lossAndGrad), like tf.valueAndGrad
        run: () => {
          const both = rt.lossAndGrad('categoricalCrossentropy', logits, t, opts);
          return [both.loss, both.grad];
        },
        tfOp: tfLoss && tl && tf ? () => tf.tidy(() => { const { value, grad } = tf.valueAndGrad(tfLoss)(tl); return [value, grad]; }) : null,
      },
    ];
    try {
      for (const v of variants) {
        try {
          const m = await measure(ctx, v.run, { rounds, perRound: 2, tfjsPerRound: 1, copy: stick, tfjsOp: v.tfOp });
          const row = { op: v.op, shape: [r, c], m, gelem: n / ((timer ? m.gpuMs : m.wallMs) ?? NaN) / 1e6 };
          ceRows.push(row);
          ctx.log(`  ${v.op} [${r}, ${c}]: ${fmt(row.gelem)} Gelem/s, ${fmt(m.xCopy)}x copy${m.tfjsMs !== null ? `, ${fmt(m.xTfjs)}x tfjs` : ''}`);
        } catch (e) {
          sec.errors.push(`${v.op}: ${errorText(e)}`);
          ctx.log(`  ${v.op}: FAILED ${errorText(e)}`);
        }
      }
    } finally {
      logits.dispose();
      t.dispose();
      tl?.dispose();
      tt?.dispose();
      stick.release();
    }
  }

  const all = [...rows, ...ceRows];
  if (all.length > 0) sec.tables.push(table(all, !!timer));
  const sm = rows.filter((x) => x.op === 'softmax' || x.op === 'logSoftmax');
  if (sm.length > 0) {
    const worst = sm.reduce((a, b) => ((b.m.xCopy ?? 0) < (a.m.xCopy ?? 0) ? b : a));
    sec.goals.push(goal('softmax >= 0.5x copy', sm.every((x) => (x.m.xCopy ?? 0) >= 0.5), `worst ${worst.op} [${worst.shape}] ${fmt(worst.m.xCopy)}x`));
    const withTf = sm.filter((x) => x.m.xTfjs !== null);
    if (withTf.length > 0) {
      const w = withTf.reduce((a, b) => (b.m.xTfjs! < a.m.xTfjs! ? b : a));
      sec.goals.push(goal('softmax >= 3x tfjs', withTf.every((x) => x.m.xTfjs! >= 3), `worst ${w.op} [${w.shape}] ${fmt(w.m.xTfjs)}x`));
    } else sec.goals.push(goal('softmax >= 3x tfjs', null, 'run with --compare tfjs'));
    const [a, b] = [shapes[1], shapes[0]].map((s) => sm.find((x) => x.op === 'softmax' && x.shape[0] === s[0] && x.shape[1] === s[1]));
    if (a && b) {
      const rr = (a.gelem ?? 0) / (b.gelem ?? NaN);
      sec.goals.push(goal(`softmax [${shapes[1]}] >= 0.5x the Gelem/s of [${shapes[0]}]`, rr >= 0.5, `${fmt(rr)}x (${fmt(a.gelem)} vs ${fmt(b.gelem)} Gelem/s)`));
    }
  }
  const both = ceRows.find((x) => x.op === 'CE fwd+bwd');
  if (both) {
    sec.goals.push(goal('CE fwd+bwd >= 4x tfjs', both.m.xTfjs === null ? null : both.m.xTfjs >= 4, both.m.xTfjs === null ? 'run with --compare tfjs' : `${fmt(both.m.xTfjs)}x`));
  }
  sec.data.rows = all;
  return sec;
}

function table(rows: Row[], gpu: boolean): Table {
  return {
    title: `Softmax, log-softmax and cross-entropy (${gpu ? 'GPU timestamps' : 'wall time'}; x tfjs by wall time)`,
    columns: ['op', 'shape', gpu ? 'GPU ms' : 'wall ms', 'Gelem/s', 'x copy kernel', 'wall ms', 'tfjs ms', 'tfjs Gelem/s', 'x tfjs', 'dispatches'],
    rows: rows.map((r) => {
      const n = r.shape[0] * r.shape[1];
      return [
        r.op,
        `[${r.shape.join(', ')}]`,
        fmt(gpu ? r.m.gpuMs : r.m.wallMs),
        fmt(r.gelem),
        fmt(r.m.xCopy),
        fmt(r.m.wallMs),
        r.m.tfjsNote ?? fmt(r.m.tfjsMs),
        r.m.tfjsMs ? fmt(n / r.m.tfjsMs / 1e6) : '-',
        fmt(r.m.xTfjs),
        r.m.commands,
      ];
    }),
  };
}
