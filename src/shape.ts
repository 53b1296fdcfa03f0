import { describeValue, fail, formatShape } from './errors';

export type Shape = readonly number[];

/** Values a tensor can be made from: flat arrays, typed arrays, nested arrays or a scalar. */
export type TensorLike = number | ArrayLike<number> | NestedArray;
export interface NestedArray extends ReadonlyArray<number | NestedArray> {}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

export function checkShape(op: string, shape: Shape): void {
  if (!Array.isArray(shape)) fail(op, `expected a shape (array of dimensions), got ${describeValue(shape)}`);
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      fail(op, `shape ${formatShape(shape)} has an invalid dimension ${describeValue(d)}: expected integers >= 0`);
    }
  }
  const n = sizeOf(shape);
  if (!Number.isSafeInteger(n)) fail(op, `shape ${formatShape(shape)} has too many elements (${n})`);
}

/** Flattens nested arrays, inferring the shape; rejects ragged arrays and non-numbers. */
export function flatten(op: string, values: TensorLike): { data: Float32Array; shape: number[] } {
  if (typeof values === 'number') return { data: Float32Array.of(values), shape: [] };
  if (values instanceof Float32Array) return { data: values.slice(), shape: [values.length] };
  if (ArrayBuffer.isView(values)) {
    return { data: Float32Array.from(values as unknown as ArrayLike<number>), shape: [(values as unknown as ArrayLike<number>).length] };
  }
  if (!Array.isArray(values) && !(values && typeof (values as ArrayLike<number>).length === 'number')) {
    fail(op, `expected numbers, an array, a typed array or nested arrays, got ${describeValue(values)}`);
  }
  const shape: number[] = [];
  let level: unknown = values;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  if (!Array.isArray(values)) shape.splice(0, shape.length, (values as ArrayLike<number>).length);
  const data = new Float32Array(sizeOf(shape));
  let k = 0;
  const walk = (node: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof node !== 'number') fail(op, `element ${path} is ${typeof node}, expected a number`);
      data[k++] = node;
      return;
    }
    const arr = node as ArrayLike<unknown>;
    if (!Array.isArray(node) && depth > 0) fail(op, `ragged nested array at ${path}: expected an array of length ${shape[depth]}`);
    if (arr.length !== shape[depth]) {
      fail(op, `ragged nested array at ${path || 'top level'}: length ${arr.length}, expected ${shape[depth]}`);
    }
    for (let i = 0; i < arr.length; i++) walk(arr[i], depth + 1, `${path}[${i}]`);
  };
  walk(values, 0, '');
  return { data, shape };
}

/** Turns flat data into nested arrays of the given shape. */
export function nest(data: Float32Array, shape: Shape): number | NestedArray {
  if (shape.length === 0) return data[0];
  const build = (offset: number, depth: number): number[] | NestedArray[] => {
    const len = shape[depth];
    if (depth === shape.length - 1) return Array.from(data.subarray(offset, offset + len));
    const stride = sizeOf(shape.slice(depth + 1));
    const out: NestedArray[] = [];
    for (let i = 0; i < len; i++) out.push(build(offset + i * stride, depth + 1) as NestedArray);
    return out;
  };
  return build(0, 0);
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
