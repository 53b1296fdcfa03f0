/**
 * Issue 6 (--soak; not part of npm test): a long loop of small ops, disposing as a user would
 * and inside rt.tidy, watching GPU memory; then 1,000 concurrent promise chains of ops and
 * reads on one runtime, checking every result against a CPU formula.
 */
import type { MemoryInfo } from '../src/runtime';
import type { Tensor } from '../src/tensor';
import { errorText, fmt, goal, newSection, type Ctx, type SectionResult } from './context';
import { uniformData } from './timing';

const SIZE = 256;
/** Ops between awaits: a user's training loop awaits something every step. */
const STEP = 1000;

interface LoopResult {
  variant: string;
  ops: number;
  seconds: number;
  opsPerS: number;
  peak: MemoryInfo;
  final: MemoryInfo;
  /** Live tensors after the loop minus before it. */
  liveDelta: number;
  error: string | null;
}

export async function soak(ctx: Ctx): Promise<SectionResult> {
  const { rt, flags } = ctx;
  const sec = newSection('soak');
  const total = flags.soakOps ?? (flags.quick ? 20_000 : 1_000_000);
  sec.method.push(
    `loops of relu on ${SIZE} floats, chained (y = relu(y)); 'dispose': each input disposed after use; 'tidy': ${STEP} ops per rt.tidy; both await rt.sync() every ${STEP} ops, as a training loop awaits each step`,
    'memory from rt.memory() sampled every step: peak = the highest allocatedBytes seen (and the runtime\'s own peakBytes), final = after the loop and a sync',
    '1,000 concurrent chains: each uploads its own 256 values, runs relu, reads, runs sigmoid on the result, reads again, checks both against CPU formulas (sigmoid within 4 ULP), disposes',
  );
  const before = rt.memory();
  if (before.liveTensors > 0) sec.notes.push(`${before.liveTensors} tensor(s) were live before the soak (left by earlier sections); live counts below are the change over each loop`);
  rt.trimPool();
  const tidyOps = Math.ceil(total / 5);
  sec.method.push(`the dispose loop runs ${total} ops, the tidy variant ${tidyOps} (a fifth, to keep the soak near 5 minutes here)`);
  if (total < 1_000_000) sec.notes.push(`the dispose loop ran ${total} ops (--soak-ops / --quick); the issue asks for 10^6`);
  const results: LoopResult[] = [];
  for (const variant of ['dispose', 'tidy'] as const) {
    const r = await loop(ctx, variant, variant === 'dispose' ? total : tidyOps);
    results.push(r);
    ctx.log(`  soak ${variant}: ${r.ops} ops in ${fmt(r.seconds)} s (${fmt(r.opsPerS)} ops/s); peak ${mb(r.peak.allocatedBytes)}, live tensors ${r.liveDelta >= 0 ? '+' : ''}${r.liveDelta}${r.error ? `; ERROR ${r.error}` : ''}`);
    if (r.error) sec.errors.push(`soak ${variant}: ${r.error}`);
  }
  sec.tables.push({
    title: `Soak: small ops (relu on ${SIZE} floats)`,
    columns: ['variant', 'ops', 's', 'ops/s', 'peak allocated', 'peakBytes', 'live tensors +/-', 'final bytesInUse', 'final pooled', 'final allocated', 'error'],
    rows: results.map((r) => [r.variant, r.ops, fmt(r.seconds), fmt(r.opsPerS), mb(r.peak.allocatedBytes), mb(r.final.peakBytes), r.liveDelta, mb(r.final.bytesInUse), mb(r.final.pooledBytes), mb(r.final.allocatedBytes), r.error ?? '-']),
  });
  const leak = results.some((r) => r.liveDelta !== 0 || r.final.bytesInUse > before.bytesInUse);
  sec.goals.push(goal('no errors and no growth over the soak (no tensors left behind)', !leak && results.every((r) => !r.error), results.map((r) => `${r.variant}: ${r.liveDelta >= 0 ? '+' : ''}${r.liveDelta} live, peak ${mb(r.peak.allocatedBytes)}`).join('; ')));

  const c = await concurrent(ctx, 1000);
  sec.tables.push({
    title: '1,000 concurrent promise chains on one runtime',
    columns: ['chains', 'ms', 'results checked', 'wrong', 'errors', 'live tensors after', 'first problem'],
    rows: [[c.chains, fmt(c.ms), c.checked, c.wrong, c.errors, c.liveAfter, c.first ?? '-']],
  });
  sec.goals.push(goal('1,000 concurrent chains: every result right, no errors', c.wrong === 0 && c.errors === 0, `${c.checked} checked in ${fmt(c.ms)} ms, ${c.wrong} wrong, ${c.errors} errors`));
  ctx.log(`  concurrent: ${c.chains} chains in ${fmt(c.ms)} ms; ${c.checked} checked, ${c.wrong} wrong, ${c.errors} errors`);
  sec.data.loops = results;
  sec.data.concurrent = c;
  return sec;
}

function mb(bytes: number): string {
  return `${fmt(bytes / 2 ** 20)} MiB`;
}

async function loop(ctx: Ctx, variant: 'dispose' | 'tidy', ops: number): Promise<LoopResult> {
  const { rt } = ctx;
  const data = uniformData(SIZE, -1, 1, 60);
  const live0 = rt.memory().liveTensors;
  const x = rt.tensor(data);
  let peak = rt.memory();
  let error: string | null = null;
  let done = 0;
  await rt.sync();
  const t0 = performance.now();
  try {
    let y: Tensor = rt.relu(x);
    while (done < ops) {
      const k = Math.min(STEP, ops - done);
      if (variant === 'dispose') {
        for (let i = 0; i < k; i++) {
          const z = rt.relu(y);
          y.dispose();
          y = z;
        }
      } else {
        const prev: Tensor = y;
        y = rt.tidy(() => {
          let z = rt.relu(prev);
          for (let i = 1; i < k; i++) z = rt.relu(z);
          return z;
        });
        prev.dispose();
      }
      done += k;
      await rt.sync();
      const m = rt.memory();
      if (m.allocatedBytes > peak.allocatedBytes) peak = m;
    }
    // relu is idempotent: after any number of them y = max(0, x) exactly.
    const v = await y.read();
    const bad = v.findIndex((e, i) => e !== Math.max(0, data[i]));
    if (bad >= 0) error = `wrong value after the loop: y[${bad}] = ${v[bad]}, expected ${Math.max(0, data[bad])}`;
    y.dispose();
  } catch (e) {
    error = `after ${done} ops: ${errorText(e)}`;
  }
  const seconds = (performance.now() - t0) / 1000;
  x.dispose();
  await rt.sync().catch(() => undefined);
  const final = rt.memory();
  return { variant, ops: done, seconds, opsPerS: done / seconds, peak, final, liveDelta: final.liveTensors - live0, error };
}

interface ConcurrentResult {
  chains: number;
  ms: number;
  checked: number;
  wrong: number;
  errors: number;
  liveAfter: number;
  first: string | null;
}

async function concurrent(ctx: Ctx, chains: number): Promise<ConcurrentResult> {
  const { rt } = ctx;
  const live0 = rt.memory().liveTensors;
  let checked = 0;
  let wrong = 0;
  let errors = 0;
  let first: string | null = null;
  const note = (s: string) => (first ??= s);
  const chain = async (id: number): Promise<void> => {
    const data = uniformData(SIZE, -4, 4, 1000 + id);
    const x = rt.tensor(data);
    let a: Tensor | null = null;
    let b: Tensor | null = null;
    try {
      a = rt.relu(x);
      const av = await a.read();
      for (let i = 0; i < SIZE; i++) {
        checked++;
        if (av[i] !== Math.max(0, data[i])) {
          wrong++;
          note(`chain ${id} relu[${i}] = ${av[i]}, expected ${Math.max(0, data[i])}`);
          break;
        }
      }
      await Promise.resolve();
      b = rt.sigmoid(a);
      const bv = await b.read();
      for (let i = 0; i < SIZE; i++) {
        checked++;
        const ref = Math.fround(1 / (1 + Math.exp(-av[i])));
        if (ulps(bv[i], ref) > 4) {
          wrong++;
          note(`chain ${id} sigmoid[${i}] = ${bv[i]}, expected ${ref}`);
          break;
        }
      }
    } catch (e) {
      errors++;
      note(`chain ${id}: ${errorText(e)}`);
    } finally {
      x.dispose();
      a?.dispose();
      b?.dispose();
    }
  };
  await rt.sync();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: chains }, (_, i) => chain(i)));
  const ms = performance.now() - t0;
  await rt.sync().catch(() => undefined);
  return { chains, ms, checked, wrong, errors, liveAfter: rt.memory().liveTensors - live0, first };
}

function ulps(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  const f = new Float32Array([a, b]);
  const i = new Int32Array(f.buffer);
  const ord = (v: number) => (v < 0 ? -2147483648 - v : v);
  return Math.abs(ord(i[0]) - ord(i[1]));
}
