// Finishes dist/ after `vite build` (dist/index.js) and `tsc -p tsconfig.build.json` (the .d.ts):
//
// 1. Declarations that resolve under every moduleResolution. tsc copies the source's import
//    specifiers ('./runtime'); under NodeNext and Node16 an ES module's relative imports need
//    the file extension, so each becomes the file it names: './runtime.js', './model/index.js'.
//    A specifier that names no emitted declaration fails the build.
// 2. dist/index.cjs, the package's `require` entry: Node >= 20.19 / 22.12 load the ES module
//    from require(); older Node gets an error that says to use import().
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const dist = resolve(import.meta.dirname, '..', 'dist');

/** './x' from file f: './x.js' when x.d.ts exists, './x/index.js' when x/index.d.ts does. */
function withExtension(file, spec) {
  if (spec.endsWith('.js')) return spec;
  const base = resolve(dirname(file), spec);
  if (existsSync(`${base}.d.ts`)) return `${spec}.js`;
  if (existsSync(join(base, 'index.d.ts'))) return `${spec}/index.js`;
  throw new Error(`${relative(dist, file)}: '${spec}' names no declaration file in dist/`);
}

// from '...', import('...'), import '...', declare module '...' with a relative specifier
const SPECIFIER = /(\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+|\bdeclare\s+module\s+)(['"])(\.\.?\/[^'"]*)\2/gm;

function declarationFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? declarationFiles(join(dir, e.name)) : e.name.endsWith('.d.ts') ? [join(dir, e.name)] : [],
  );
}

let rewritten = 0;
for (const file of declarationFiles(dist)) {
  const text = readFileSync(file, 'utf8');
  const out = text.replace(SPECIFIER, (_m, lead, quote, spec) => `${lead}${quote}${withExtension(file, spec)}${quote}`);
  if (out !== text) {
    writeFileSync(file, out);
    rewritten++;
  }
}

if (!readFileSync(join(dist, 'index.d.ts'), 'utf8').includes('reference types="@webgpu/types"')) {
  throw new Error('dist/index.d.ts lost its /// <reference types="@webgpu/types" /> (see src/index.ts)');
}

writeFileSync(
  join(dist, 'index.cjs'),
  `'use strict';
// webgpu-nn is an ES module (dist/index.js). Node >= 20.19 and >= 22.12 load it from require();
// older Node cannot, and says so here rather than with "No "exports" main defined".
try {
  module.exports = require('./index.js');
} catch (e) {
  if (e && (e.code === 'ERR_REQUIRE_ESM' || e.code === 'ERR_REQUIRE_ASYNC_MODULE')) {
    throw new Error("webgpu-nn is an ES module: load it with import (\`const { createRuntime } = await import('webgpu-nn')\`), or use Node >= 20.19 or >= 22.12, whose require() loads ES modules", { cause: e });
  }
  throw e;
}
`,
);
console.log(`package-dist: import specifiers with extensions in ${rewritten} declaration files; dist/index.cjs written`);
