/** Errors raised by webgpu-nn. Every message names the op and what was wrong. */

export class NNError extends Error {
  override name = 'NNError';
}

/** A WebGPU validation, out-of-memory or internal error raised by work we submitted. */
export class GpuError extends NNError {
  override name = 'GpuError';
  constructor(
    message: string,
    readonly kind: 'validation' | 'out-of-memory' | 'internal' | 'unknown',
  ) {
    super(message);
  }
}

/** The device was lost (destroyed, driver reset); `runtime.recover()` gets a fresh one. */
export class DeviceLostError extends NNError {
  override name = 'DeviceLostError';
}

/** `verify: true` found the GPU and the CPU path disagreeing. */
export class VerifyError extends NNError {
  override name = 'VerifyError';
}

export function fail(op: string, message: string): never {
  throw new NNError(`${op}: ${message}`);
}

/**
 * A value as an error message shows it: strings quoted and named (`the string '2'`), arrays
 * short enough listed (`[2, 3]`, `an empty array`), objects by kind (`a Promise`, `an object
 * {units}`), numbers and booleans as written. Every option check words its "got ..." with this.
 */
export function describeValue(v: unknown, depth = 0): string {
  if (v === undefined || v === null) return String(v);
  if (typeof v === 'string') return v === '' ? 'an empty string' : `the string '${v.length > 40 ? `${v.slice(0, 40)}...` : v}'`;
  if (typeof v === 'number' || typeof v === 'boolean') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return `the bigint ${v}n`;
  if (typeof v === 'symbol') return `the symbol ${v.description ?? ''}`.trimEnd();
  if (typeof v === 'function') return v.name ? `the function ${v.name}` : 'a function';
  if (Array.isArray(v)) {
    if (v.length === 0) return depth === 0 ? 'an empty array' : '[]';
    const flat = v.every((x) => x === null || typeof x !== 'object' || (Array.isArray(x) && depth < 2));
    if (v.length > 8 || !flat) return `an array of length ${v.length}`;
    return `[${v.map((x) => (typeof x === 'string' ? `'${x}'` : describeValue(x, depth + 1))).join(', ')}]`;
  }
  if (ArrayBuffer.isView(v)) return `${article(v.constructor.name)} of length ${(v as unknown as ArrayLike<number>).length}`;
  if (v instanceof Promise) return 'a Promise (missing await?)';
  const ctor = (v as object).constructor;
  if (ctor && ctor !== Object && ctor.name) return article(ctor.name);
  const keys = Object.keys(v);
  return keys.length === 0 ? 'an empty object' : `an object {${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', ...' : ''}}`;
}

function article(noun: string): string {
  return `${/^[AEIOUaeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
}

/**
 * Throws `op: what must be <expected>, got <value>`, or `op: what is missing (expected ...)` for
 * undefined. `expected` reads after "must be": 'a positive integer', "'auto', 'fused' or 'general'".
 */
export function invalid(op: string, what: string, expected: string, v: unknown): never {
  if (v === undefined) throw new NNError(`${op}: ${what} is missing (expected ${expected})`);
  throw new NNError(`${op}: ${what} must be ${expected}, got ${describeValue(v)}`);
}

/** `'a', 'b' or 'c'`: the valid names of a choice, quoted, for messages. */
export function quotedList(names: readonly string[], last = 'or'): string {
  const q = names.map((n) => `'${n}'`);
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} ${last} ${q[q.length - 1]}`;
}

const shapeText = new WeakMap<readonly number[], string>();
/** '[2, 3]'. Frozen shapes (tensors' own) are formatted once: op labels use this per op. */
export function formatShape(shape: readonly number[]): string {
  let text = shapeText.get(shape);
  if (text === undefined) {
    text = `[${shape.join(', ')}]`;
    if (Object.isFrozen(shape)) shapeText.set(shape, text);
  }
  return text;
}

/** Rejects an options object with a key not in `known`, naming it and listing the known ones. */
export function checkKeys(op: string, options: object, known: readonly string[]): void {
  for (const k of Object.keys(options)) if (!known.includes(k)) throw new NNError(`${op}: unknown option '${k}' (known: ${known.join(', ')})`);
}
