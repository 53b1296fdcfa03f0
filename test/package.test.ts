/**
 * The package as a user meets it: `npm pack` (after `npm run build:lib`), the tarball's
 * contents, an install into a fresh project, its TypeScript under NodeNext, Node16 and Bundler
 * resolution with skipLibCheck off (misspelt names must be compile errors), and the README's
 * "Use it" examples run by node in that project. Offline: the install takes the tarball, and
 * `webgpu` / `@webgpu/types` (its dependencies) as links to this repository's node_modules.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const exec = promisify(execFile);

async function run(cmd: string, args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec(cmd, args, { cwd, maxBuffer: 64 << 20, env: { ...process.env, NODE_OPTIONS: '' } });
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

/** The ```js blocks of the README's "Use it" section. */
function readmeExamples(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Use it');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/** Uses the API as typed users do; each @ts-expect-error line must be a compile error. */
const CONSUMER = `import { createRuntime, Dense, Input, NNError, Sequential, sgd, type ActivationName, type Tensor } from 'webgpu-nn';

const rt = await createRuntime({ backend: 'cpu' });
const x: Tensor = rt.tensor([1, 2]);
rt.sigmoid(x);
rt.activation('leaky_relu', x, { alpha: 0.1 });
rt.loss('bce', x, x, { reduction: 'sum' });
const named: ActivationName = 'hardSwish';
rt.activationGrad(named, x, x);
// @ts-expect-error a misspelt method
rt.sigmoidd(x);
// @ts-expect-error a misspelt activation
rt.activation('sigmoidd', x);
// @ts-expect-error a misspelt activation of a layer
Dense({ units: 1, activation: 'reluu' });
// @ts-expect-error a misspelt loss
rt.loss('msee', x, x);
// @ts-expect-error a misspelt reduction
rt.loss('mse', x, x, { reduction: 'avg' });
const model = new Sequential([Input({ shape: [2] }), Dense({ units: 1, activation: 'sigmoid' })], { runtime: rt });
// @ts-expect-error a misspelt loss in compile
model.compile({ loss: 'binary_crossentropyy' });
// @ts-expect-error a misspelt metric
model.compile({ loss: 'mse', metrics: ['accuracyy'] });
// @ts-expect-error a misspelt optimizer
model.compile({ loss: 'mse', optimizer: 'sgdd' });
// @ts-expect-error a misspelt option
model.compile({ loss: 'mse', metric: ['mae'] });
// @ts-expect-error a misspelt fit option
await model.fit([[0, 1]], [[1]], { epoch: 3 });
// @ts-expect-error a misspelt runtime option
await createRuntime({ backend: 'cpu', verfy: true });
// Names known only at run time are checked when the call runs.
const fromConfig: string = 'relu';
rt.activation(fromConfig, x);
Dense({ units: 1, activation: fromConfig });
const c2f = await rt.defineActivation('c2f', {
  wgsl: { forward: 'max(32.0, x)', backward: 'select(0.0, dy, x > 32.0)' },
  cpu: { forward: (v) => Math.max(32, v), backward: (v, _y, dy) => (v > 32 ? dy : 0) },
});
rt.activation(c2f, x);
Dense({ units: 1, activation: c2f });
model.compile({ loss: 'mse', optimizer: sgd({ learningRate: 0.1 }), metrics: ['mae'] });
const e: NNError = new NNError('typed');
console.log(e.name);
rt.dispose();
`;

const RESOLUTIONS = {
  NodeNext: { module: 'nodenext', moduleResolution: 'nodenext' },
  Node16: { module: 'node16', moduleResolution: 'node16' },
  Bundler: { module: 'esnext', moduleResolution: 'bundler' },
} as const;

describe('the packed package in a fresh project', () => {
  let tmp: string;
  let app: string;
  let files: string[];

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'webgpu-nn-pack-'));
    await run('npm', ['run', 'build:lib', '--silent'], ROOT);
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], ROOT);
    const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    files = info.files.map((f) => f.path);
    app = join(tmp, 'app');
    mkdirSync(join(app, 'src'), { recursive: true });
    const link = (name: string) => `file:${join(ROOT, 'node_modules', name)}`;
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: { webgpu: link('webgpu'), '@webgpu/types': link('@webgpu/types') } }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--offline', join(tmp, info.filename)], app);
  }, 300_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('packs dist, shaders, README and LICENSE, and no tests, demo or sources', () => {
    for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.js.map', 'dist/index.cjs', 'dist/index.d.ts', 'dist/runtime.d.ts', 'dist/names.d.ts', 'shaders/activation.wgsl']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /^(test|demo|src|bench|examples|scripts)\//.test(f))).toEqual([]);
  });

  it('type-checks a consumer under NodeNext, Node16 and Bundler (skipLibCheck off): misspelt names are compile errors', async () => {
    writeFileSync(join(app, 'src', 'consumer.ts'), CONSUMER);
    readmeExamples().forEach((code, i) => writeFileSync(join(app, 'src', `readme-${i}.ts`), code));
    for (const [name, resolution] of Object.entries(RESOLUTIONS)) {
      const config = { compilerOptions: { ...resolution, target: 'es2022', strict: true, skipLibCheck: false, noEmit: true, types: [] }, include: ['src'] };
      writeFileSync(join(app, `tsconfig.${name}.json`), JSON.stringify(config));
      await run(process.execPath, [TSC, '-p', `tsconfig.${name}.json`], app); // throws with tsc's errors
    }
  }, 180_000);

  it("runs the README's examples with node", async () => {
    const [tensors, model] = readmeExamples();
    writeFileSync(join(app, 'readme-tensors.mjs'), tensors);
    writeFileSync(join(app, 'readme-model.mjs'), model);
    const a = await run(process.execPath, ['readme-tensors.mjs'], app);
    expect(a.stdout).toMatch(/0\.5621765[\s\S]*0\.24613[\s\S]*0\.99707/);
    const b = await run(process.execPath, ['readme-model.mjs'], app);
    expect(b.stdout).toMatch(/^\d+ \[ 0\.00\d+, 1 \]\n\[\n {2}\[ 0\.000\d+ \],\n {2}\[ 0\.99\d+ \],\n {2}\[ 0\.99\d+ \],\n {2}\[ 0\.000\d+ \]\n\]\n/);
  }, 180_000);

  it('prints tensors and errors readably from the built bundle, and require() works', async () => {
    const script = `import { createRuntime, NNError } from 'webgpu-nn';
const rt = await createRuntime({ backend: 'cpu' });
console.log(rt.tensor([[1, 2, 3], [4, 5, 6]]));
console.log(new NNError('boom'));
console.log(rt.constructor.name);
rt.dispose();`;
    writeFileSync(join(app, 'print.mjs'), script);
    const { stdout } = await run(process.execPath, ['print.mjs'], app);
    expect(stdout).toMatch(/^Tensor float32 \[2, 3\] cpu\n\[\[1, 2, 3\],\n \[4, 5, 6\]\]\nNNError: boom\n {4}at [\s\S]*\nRuntime\n$/);
    writeFileSync(join(app, 'require.cjs'), "try {\n  console.log(typeof require('webgpu-nn').createRuntime);\n} catch (e) {\n  console.log(e.message);\n}\n");
    const esmError = "webgpu-nn is an ES module: load it with import (`const { createRuntime } = await import('webgpu-nn')`), or use Node >= 20.19 or >= 22.12, whose require() loads ES modules\n";
    // Node with require(esm) loads the ES module; without it, the require entry says to use import()
    const canRequireEsm = !!(process.features as { require_module?: boolean }).require_module;
    expect((await run(process.execPath, ['require.cjs'], app)).stdout).toBe(canRequireEsm ? 'function\n' : esmError);
    if (canRequireEsm) expect((await run(process.execPath, ['--no-experimental-require-module', 'require.cjs'], app)).stdout).toBe(esmError);
  }, 60_000);
});
