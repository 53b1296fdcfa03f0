// Every kernel file in shaders/ compiles as written, with the libraries its `// Requires:` line
// names (and theirs), through Dawn's createShaderModule + getCompilationInfo: no templates, so
// what the file says is what runs. "lib/a.wgsl or lib/b.wgsl" compiles each alternative (one
// that enables a feature the device lacks is never chosen by a plan, and is left out here).
// Every library is checked inside at least one kernel's module; the softmax family's modules
// are also compiled exactly as src/kernels/softmax.ts composes them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../src/index';
import { composeShader, type ShaderFile } from '../src/gpu/shaders';
import { SOFTMAX_MODULES } from '../src/kernels/softmax';

const sources = import.meta.glob('../shaders/**/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
const files = new Map(Object.entries(sources).map(([path, code]) => [path.replace('../shaders/', ''), code]));

/** The `Requires:` line as a list of choices (each one file, or alternatives joined by "or"). */
function requires(file: string): string[][] {
  const line = /\/\/ Requires:([^\n]*)/.exec(files.get(file) ?? '')?.[1] ?? '';
  return line
    .replace(/\([^)]*\)/g, '')
    .split(/,|\band\b/)
    .map((item) => item.match(/lib\/[\w-]+\.wgsl/g) ?? [])
    .filter((alts) => alts.length > 0);
}

/** Every composition of `file`: its libraries' libraries first, directives (`enable`) opening the module. */
function compositions(file: string): string[][] {
  let out: string[][] = [[]];
  for (const alts of requires(file)) {
    out = out.flatMap((prefix) => alts.map((lib) => [...prefix, lib]));
  }
  return out.map((libs) => {
    const order: string[] = [];
    const visit = (f: string, path: string[]) => {
      if (order.includes(f)) return;
      if (path.includes(f)) throw new Error(`shaders/${f}: circular Requires via ${path.join(' -> ')}`);
      if (!files.has(f)) throw new Error(`shaders/${path[path.length - 1]}: Requires ${f}, which does not exist`);
      // a library's own alternatives are the kernel's choice: take the ones the kernel named
      for (const alts of requires(f)) visit(alts.find((a) => libs.includes(a)) ?? alts[0], [...path, f]);
      order.push(f);
    };
    for (const lib of libs) visit(lib, [file]);
    const directive = (f: string) => /^\s*enable\b/.test(files.get(f)!);
    return [...order.filter(directive), ...order.filter((f) => !directive(f)), file];
  });
}

let rt: Runtime;
beforeAll(async () => {
  rt = await createRuntime();
});
afterAll(() => rt?.dispose());

/** Compiler errors of the module made of `parts`, as `shaders/<file>:line:col: message`. */
async function compileErrors(parts: readonly ShaderFile[]): Promise<string[]> {
  const shader = composeShader(parts);
  const device = rt.scheduler!.device;
  const module = device.createShaderModule({ code: shader.code, label: parts[parts.length - 1].file });
  const info = await module.getCompilationInfo();
  return info.messages
    .filter((m) => m.type === 'error')
    .map((m) => {
      const at = shader.locate(m.lineNum);
      return `shaders/${at.file}:${at.line}:${m.linePos}: ${m.message}`;
    });
}

const asParts = (names: string[]): ShaderFile[] => names.map((f) => ({ file: f, code: files.get(f)! }));

describe('every .wgsl file compiles as written', () => {
  const kernels = [...files.keys()].filter((f) => !f.startsWith('lib/')).sort();

  it('finds the kernels and libraries', () => {
    expect(kernels).toContain('softmax.wgsl');
    expect(files.has('lib/math.wgsl')).toBe(true);
  });

  for (const file of kernels) {
    it(`${file} with its libraries`, async () => {
      const subgroups = rt.scheduler!.device.features.has('subgroups');
      let compiled = 0;
      for (const names of compositions(file)) {
        if (!subgroups && names.some((f) => /^\s*enable\s+subgroups\b/m.test(files.get(f)!))) continue;
        expect(await compileErrors(asParts(names)), names.join(' + ')).toEqual([]);
        compiled++;
      }
      expect(compiled).toBeGreaterThan(0);
    });
  }

  it('every library is part of some kernel module', () => {
    const used = new Set(kernels.flatMap((k) => compositions(k).flat()));
    const unused = [...files.keys()].filter((f) => f.startsWith('lib/') && !used.has(f));
    expect(unused, 'libraries no kernel lists in its Requires').toEqual([]);
  });

  it('the softmax family as src/kernels/softmax.ts composes it', async () => {
    const subgroups = rt.scheduler!.device.features.has('subgroups');
    for (const [name, parts] of Object.entries(SOFTMAX_MODULES)) {
      if (!subgroups && name.endsWith('Subgroup')) continue;
      for (const p of parts) expect(p.code, `${name}: ${p.file} is the file on disk`).toBe(files.get(p.file));
      expect(await compileErrors(parts), name).toEqual([]);
    }
  });
});
