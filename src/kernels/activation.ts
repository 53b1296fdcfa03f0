/**
 * Elementwise activations, forward and backward: shaders/activation.wgsl on the GPU, the
 * float64 formulas of src/activations/table.ts on the CPU. User activations defined with
 * `defineActivation` compile into the same kernel (ACTIVATION = 1000).
 */
import activationShader from '../../shaders/activation.wgsl?raw';
import { NNError, formatShape, invalid } from '../errors';
import { BUILTIN_ACTIVATIONS, findActivation, foldName } from '../activations/table';
import type { ActivationParams, ActivationSpec, CustomActivationDefinition, PackedParams } from '../activations/types';
import { ACT_CUSTOM_ID } from '../gpu/ids';
import { ACTIVATIONS_LIB, CUSTOM_ACTIVATION_STUB, IDS_LIB, MATH_LIB, type ShaderFile } from '../gpu/shaders';
import type { Binding, PipelineHandle, Scheduler } from '../gpu/scheduler';
import type { GpuTensor, Runtime } from '../runtime';
import type { Tensor } from '../tensor';

const KERNEL: ShaderFile = { file: 'activation.wgsl', code: activationShader };

interface CustomEntry {
  spec: ActivationSpec;
  lib: ShaderFile;
  ulp: number;
  compiled: Promise<void> | null;
}

export interface ActivationRegistry {
  custom: Map<string, CustomEntry>;
}

export function createActivationRegistry(): ActivationRegistry {
  return { custom: new Map() };
}

interface Resolved {
  spec: ActivationSpec;
  custom: CustomEntry | null;
}

/** The names an unknown-activation error lists: the built-ins, `extra`, then this runtime's own. */
export function knownActivations(rt: Runtime, extra: readonly string[] = []): string {
  return [...BUILTIN_ACTIVATIONS.map((a) => a.name), ...extra, ...rt.activations.custom.keys()].join(', ');
}

/** `fn`: the API method, named in errors as fn('name'). */
function resolve(rt: Runtime, fn: string, name: unknown): Resolved {
  if (typeof name !== 'string') invalid(fn, 'the activation name', "a string like 'relu'", name);
  const custom = rt.activations.custom.get(name);
  if (custom) return { spec: custom.spec, custom };
  const spec = findActivation(name);
  if (!spec) throw new NNError(`${fn}('${name}'): unknown activation '${name}' (known: ${knownActivations(rt, ['softmax', 'logSoftmax'])})`);
  return { spec, custom: null };
}

// One array per custom activation (and one for the built-ins), so the scheduler's pipeline
// lookup sees the same file objects every dispatch.
const partsOf = new WeakMap<CustomEntry, ShaderFile[]>();
let builtinParts: ShaderFile[] | null = null;
function shaderParts(custom: CustomEntry | null): ShaderFile[] {
  if (!custom) return (builtinParts ??= [MATH_LIB, IDS_LIB, CUSTOM_ACTIVATION_STUB, ACTIVATIONS_LIB, KERNEL]);
  let parts = partsOf.get(custom);
  if (!parts) partsOf.set(custom, (parts = [MATH_LIB, IDS_LIB, custom.lib, ACTIVATIONS_LIB, KERNEL]));
  return parts;
}

// Uniform scratch: the scheduler copies it into its ring at dispatch.
const uniformBytes = new Uint8Array(32);
const uniformF32 = new Float32Array(uniformBytes.buffer, 0, 4);
const uniformU32 = new Uint32Array(uniformBytes.buffer, 16, 4);


/** vec4s per invocation of shaders/activation.wgsl and copy.wgsl (their override VPI). */
export const VEC4_PER_INVOCATION = 4;

/** Records `entry` over `n` elements in chunks that fit the storage binding limit. */
export function dispatchElementwise(
  s: Scheduler,
  label: string,
  parts: ShaderFile[],
  entry: string,
  /** The override ACTIVATION, or null for a kernel without it (the copy yardstick). */
  activationId: number | null,
  inputs: GpuTensor[],
  inputBindings: number[],
  out: GpuTensor,
  p: PackedParams,
): void {
  const n = out.size;
  if (n === 0) return;
  const WG = s.workgroupSize;
  const vpi = VEC4_PER_INVOCATION;
  const pipeline = elementwisePipeline(s, parts, entry, activationId, label);
  // Chunk offsets must be multiples of 256 bytes (64 floats), sizes multiples of 16 bytes.
  const chunk = Math.max(64, Math.floor(s.maxBindingBytes / 256) * 64);
  for (let start = 0; start < n; start += chunk) {
    const len = Math.min(chunk, n - start);
    const n4 = Math.ceil(len / 4);
    uniformF32.set(p);
    uniformU32[0] = n4;
    const offset = start * 4;
    const size = n4 * 16;
    const bindings: Binding[] = [];
    for (let i = 0; i < inputs.length; i++) bindings.push({ binding: inputBindings[i], buffer: inputs[i].buffer, offset, size });
    bindings.push({ binding: 2, buffer: out.buffer, offset, size });
    s.dispatch({ label, pipeline, bindings, uniform: uniformBytes, uniformBinding: 3, workgroups: Math.ceil(n4 / (WG * vpi)) });
  }
}

// Pipelines per scheduler, shader parts, entry point and ACTIVATION id: chains of small ops
// look their pipeline up without building the scheduler's string key each dispatch.
const pipelineMemo = new WeakMap<Scheduler, WeakMap<ShaderFile[], Map<string, Map<number, PipelineHandle>>>>();

/** `label`: the op's label; its first word names the pipeline. */
export function elementwisePipeline(s: Scheduler, parts: ShaderFile[], entry: string, activationId: number | null, label: string): PipelineHandle {
  let byParts = pipelineMemo.get(s);
  if (!byParts) pipelineMemo.set(s, (byParts = new WeakMap()));
  let byEntry = byParts.get(parts);
  if (!byEntry) byParts.set(parts, (byEntry = new Map()));
  let byId = byEntry.get(entry);
  if (!byId) byEntry.set(entry, (byId = new Map()));
  const id = activationId ?? -1;
  let handle = byId.get(id);
  if (!handle) {
    const constants: Record<string, number> = { WG: s.workgroupSize, VPI: VEC4_PER_INVOCATION };
    if (activationId !== null) constants.ACTIVATION = activationId;
    handle = s.pipeline(parts, entry, constants, label.split(' ')[0]);
    byId.set(id, handle);
  }
  return handle;
}

function packOrThrow(op: string, spec: ActivationSpec, params: ActivationParams | undefined): PackedParams {
  if (params !== undefined && (params === null || typeof params !== 'object' || Array.isArray(params))) {
    invalid(op, 'params', 'an object like {alpha: 0.2}', params);
  }
  return spec.pack(params);
}

export function activationForward(rt: Runtime, name: string, x: Tensor, params?: ActivationParams): Tensor {
  const { spec, custom } = resolve(rt, 'activation', name);
  rt.checkTensor(spec.name, x, 'x');
  const p = packOrThrow(spec.name, spec, params);
  const label = `${spec.name}.forward ${formatShape(x.shape)}`;
  return rt.run({
    op: label,
    inputs: [x],
    outputs: [x.shape],
    tolerance: { ulp: custom?.ulp ?? 4 },
    gpu: (s, [xt], [y]) => dispatchElementwise(s, label, shaderParts(custom), 'forward', spec.id, [xt], [0], y, p),
    cpu: ([xs], [ys]) => {
      for (let i = 0; i < xs.length; i++) ys[i] = spec.forward(xs[i], p);
    },
  })[0];
}

export function activationBackward(rt: Runtime, name: string, x: Tensor, dy: Tensor, params?: ActivationParams): Tensor {
  const { spec, custom } = resolve(rt, 'activationGrad', name);
  rt.checkTensor(`${spec.name}.backward`, x, 'x');
  rt.checkTensor(`${spec.name}.backward`, dy, 'dy');
  if (x.size !== dy.size || x.shape.length !== dy.shape.length || x.shape.some((d, i) => d !== dy.shape[i])) {
    throw new NNError(`${spec.name}.backward: expected dy of shape ${formatShape(x.shape)} (the shape of x), got ${formatShape(dy.shape)}`);
  }
  const p = packOrThrow(spec.name, spec, params);
  const label = `${spec.name}.backward ${formatShape(x.shape)}`;
  return rt.run({
    op: label,
    inputs: [x, dy],
    outputs: [x.shape],
    tolerance: { ulp: custom?.ulp ?? 4 },
    gpu: (s, [xt, dyt], [dx]) => dispatchElementwise(s, label, shaderParts(custom), 'backward', spec.id, [xt, dyt], [0, 1], dx, p),
    cpu: ([xs, dys], [dxs]) => {
      for (let i = 0; i < xs.length; i++) dxs[i] = spec.backward(xs[i], dys[i], p);
    },
  })[0];
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function defineCustomActivation(rt: Runtime, name: string, def: CustomActivationDefinition): Promise<void> {
  const op = typeof name === 'string' ? `defineActivation('${name}')` : 'defineActivation';
  if (typeof name !== 'string' || !NAME_RE.test(name)) invalid(op, 'the name', "an identifier like 'c2f'", name);
  if (findActivation(name) || /^(log)?softmax$/.test(foldName(name))) throw new NNError(`${op}: '${name}' is a built-in activation; choose another name`);
  if (rt.activations.custom.has(name)) throw new NNError(`${op}: '${name}' is already defined`);
  const wgsl = def?.wgsl;
  const cpu = def?.cpu;
  if (!wgsl || typeof wgsl.forward !== 'string' || typeof wgsl.backward !== 'string') {
    throw new NNError(`${op}: expected wgsl: {forward: '<WGSL expression in x>', backward: '<WGSL expression in x, y, dy>'}`);
  }
  if (!cpu || typeof cpu.forward !== 'function' || typeof cpu.backward !== 'function') {
    throw new NNError(`${op}: expected cpu: {forward: (x) => number, backward: (x, y, dy) => number}`);
  }
  for (const [k, src] of Object.entries(wgsl)) {
    if (/[;{}]/.test(src) || src.includes('//') || src.includes('/*')) {
      throw new NNError(`${op}: wgsl.${k} must be a single WGSL expression (no ';', braces or comments), got '${src}'`);
    }
  }
  const ulp = def.ulp ?? 4;
  const lib: ShaderFile = {
    file: `custom activation '${name}'`,
    code:
      `fn custom_forward(x: f32) -> f32 {\n  return ${wgsl.forward};\n}\n\n` +
      `fn custom_backward(x: f32, y: f32, dy: f32) -> f32 {\n  return ${wgsl.backward};\n}\n` +
      // after the user's expressions, so compile errors keep their line numbers
      '\nconst CUSTOM_ACTIVATION: bool = true;\n',
  };
  const spec: ActivationSpec = {
    name,
    aliases: [],
    id: ACT_CUSTOM_ID,
    doc: { formula: wgsl.forward, derivative: wgsl.backward },
    paramNames: [],
    pack(params) {
      if (params && Object.keys(params).length > 0) throw new NNError(`${name}: takes no parameters, got ${Object.keys(params).join(', ')}`);
      return [0, 0, 0, 0];
    },
    forward: (x) => cpu.forward(x),
    backward: (x, dy) => cpu.backward(x, Math.fround(cpu.forward(x)), dy),
  };
  const entry: CustomEntry = { spec, lib, ulp, compiled: null };
  rt.activations.custom.set(name, entry);
  if (!rt.scheduler) return Promise.resolve();
  const s = rt.scheduler;
  const parts = shaderParts(entry);
  const handles = ['forward', 'backward'].map((e) => elementwisePipeline(s, parts, e, ACT_CUSTOM_ID, `${name}.${e}`));
  entry.compiled = (async () => {
    for (const h of handles) {
      const err = await h.error;
      if (err) {
        rt.activations.custom.delete(name);
        throw new NNError(`${op}: the WGSL does not compile:\n${err}`);
      }
    }
  })();
  entry.compiled.catch(() => undefined);
  return entry.compiled;
}
