/**
 * npm run bench [-- --compare tfjs] [--soak] [--soak-ops N] [--quick] [--only <section>]
 * Sections: elementwise, reductions, dense, training, soak (soak runs only with --soak or --only soak).
 * Prints tables with ratios and goals; writes bench/results/latest.json.
 */
import { create, globals } from 'webgpu';
import { fileURLToPath } from 'node:url';
import { errorText, newSection, type Ctx, type Flags, type SectionResult } from './context';
import { formatSection, writeJson } from './report';

const SECTIONS = ['elementwise', 'reductions', 'dense', 'training', 'soak'] as const;
type Section = (ctx: Ctx) => Promise<SectionResult>;
/** Loaded on demand, after navigator.gpu is set. */
const LOADERS: Record<(typeof SECTIONS)[number], () => Promise<Section>> = {
  elementwise: async () => (await import('./elementwise')).elementwise,
  reductions: async () => (await import('./reductions')).reductions,
  dense: async () => (await import('./dense')).dense,
  training: async () => (await import('./training')).training,
  soak: async () => (await import('./soak')).soak,
};

function parseFlags(argv: string[]): Flags {
  const flags: Flags = { compareTfjs: false, soak: false, quick: false, only: null, soakOps: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') continue;
    else if (a === '--compare') {
      const what = argv[++i];
      if (what !== 'tfjs') throw new Error(`bench: --compare takes 'tfjs', got '${what ?? ''}'`);
      flags.compareTfjs = true;
    } else if (a === '--compare=tfjs') flags.compareTfjs = true;
    else if (a === '--soak') flags.soak = true;
    else if (a === '--quick') flags.quick = true;
    else if (a === '--only') flags.only = argv[++i] ?? null;
    else if (a === '--soak-ops') flags.soakOps = Number(argv[++i]);
    else throw new Error(`bench: unknown flag '${a}' (flags: --compare tfjs, --soak, --soak-ops N, --quick, --only <${SECTIONS.join('|')}>)`);
  }
  if (flags.only !== null && !(SECTIONS as readonly string[]).includes(flags.only)) {
    throw new Error(`bench: --only takes one of ${SECTIONS.join(', ')}, got '${flags.only}'`);
  }
  if (flags.soakOps !== null && !(Number.isInteger(flags.soakOps) && flags.soakOps > 0)) {
    throw new Error('bench: --soak-ops takes a positive integer');
  }
  if (flags.only === 'soak') flags.soak = true;
  return flags;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  // Dawn's GPU object: set up before tfjs is imported (it looks for navigator.gpu) and kept
  // reachable for the whole run (Node crashes if it is collected before its devices).
  Object.assign(globalThis, globals);
  const gpu = create([]);
  (globalThis as Record<string, unknown>).navigator = { gpu };
  (globalThis as Record<string, unknown>).__benchGpu = gpu;

  const { createRuntime } = await import('../src/runtime');
  const { GpuTimer } = await import('./timing');
  const rt = await createRuntime({ gpu });
  const timer = GpuTimer.available(rt) ? new GpuTimer(rt) : null;
  const started = new Date();
  const log = (line: string) => console.log(line);
  const info = rt.adapterInfo;
  log(`webgpu-nn bench ${started.toISOString()}: ${info?.description || info?.device || 'unknown adapter'} (${info?.vendor} ${info?.architecture}); timestamp-query ${timer ? 'yes' : 'no'}; node ${process.version}`);
  log(`flags: ${JSON.stringify(flags)}`);

  let tfjs: Ctx['tfjs'] = null;
  const loadNotes: string[] = [];
  if (flags.compareTfjs) {
    try {
      const { loadTfjs } = await import('./tfjs');
      tfjs = await loadTfjs();
      log(`tfjs: webgpu backend on ${tfjs.adapter || 'the same Dawn adapter'}`);
    } catch (e) {
      loadNotes.push(`--compare tfjs: TensorFlow.js failed to load: ${errorText(e)}`);
      log(loadNotes[loadNotes.length - 1]);
    }
  }
  const ctx: Ctx = { rt, flags, timer, tfjs, log };
  const wanted = SECTIONS.filter((s) => (flags.only ? s === flags.only : s !== 'soak' || flags.soak));
  const results: SectionResult[] = [];
  const t0 = performance.now();
  for (const name of wanted) {
    const ts = performance.now();
    let res: SectionResult;
    try {
      res = await (await LOADERS[name]())(ctx);
    } catch (e) {
      res = newSection(name);
      res.errors.push(errorText(e));
    }
    res.data.seconds = (performance.now() - ts) / 1000;
    const mem = rt.memory();
    res.data.memoryAfter = mem;
    if (mem.liveTensors > 0) res.notes.push(`${mem.liveTensors} tensor(s) of the runtime still live after this section (${mem.bytesInUse} bytes)`);
    results.push(res);
    log(formatSection(res));
  }
  const seconds = (performance.now() - t0) / 1000;
  const out = fileURLToPath(new URL('./results/latest.json', import.meta.url));
  writeJson(out, {
    started: started.toISOString(),
    seconds,
    adapter: info,
    timestampQuery: !!timer,
    node: process.version,
    flags,
    notes: loadNotes,
    sections: results,
    summary: results.flatMap((r) => r.goals.map((g) => ({ section: r.name, ...g }))),
  });
  log(`\n==== summary (${seconds.toFixed(0)} s) ====`);
  for (const r of results) for (const g of r.goals) log(`  [${g.ok === null ? 'n/a ' : g.ok ? 'MET ' : 'MISS'}] ${r.name}: ${g.text}${g.value ? `: ${g.value}` : ''}`);
  for (const n of loadNotes) log(`  note: ${n}`);
  const errors = results.reduce((k, r) => k + r.errors.length, 0);
  if (errors > 0) log(`  ${errors} error(s); see above`);
  log(`wrote ${out}`);
  timer?.destroy();
  rt.dispose();
  tfjs?.tf.engine().reset();
}

// Top-level await: vite-node closes its server once this module settles, and the sections
// are imported on demand.
try {
  await main();
  process.exit(0);
} catch (e) {
  console.error(e);
  process.exit(1);
}
