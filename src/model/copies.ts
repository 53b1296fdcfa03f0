/** Copies between tensors as recorded ops (buffer copies on the GPU): the trainers' snapshots and packing. */
import type { Runtime } from '../runtime';
import type { Tensor } from '../tensor';

/** A new tensor with t's values; `op` names it in errors. */
export function copyOf(rt: Runtime, t: Tensor, op = 'model.copy'): Tensor {
  return rt.run({ op, inputs: [t], outputs: [t.shape], gpu: (s, [a], [b]) => s.copy(a.buffer, 0, b.buffer, 0, a.size * 4), cpu: ([a], [b]) => b.set(a) })[0];
}

export function copyInto(rt: Runtime, src: Tensor, dst: Tensor): void {
  rt.run({ op: 'model.restore', inputs: [src], outputs: [], writes: [dst], gpu: (s, [a], [b]) => s.copy(a.buffer, 0, b.buffer, 0, a.size * 4), cpu: ([a], [b]) => b.set(a) });
}

/** A new flat tensor: the parts one after another. */
export function pack(rt: Runtime, parts: readonly Tensor[]): Tensor {
  const total = parts.reduce((s, t) => s + t.size, 0);
  return rt.run({
    op: `model.pack [${total}]`,
    inputs: [...parts],
    outputs: [[total]],
    gpu: (s, ins, [out]) => {
      let off = 0;
      for (const t of ins) {
        s.copy(t.buffer, 0, out.buffer, off * 4, t.size * 4);
        off += t.size;
      }
    },
    cpu: (ins, [out]) => {
      let off = 0;
      for (const a of ins) {
        out.set(a, off);
        off += a.length;
      }
    },
  })[0];
}

/** The inverse of pack: the parts, in place, from one flat tensor. */
export function unpack(rt: Runtime, flat: Tensor, parts: readonly Tensor[]): void {
  rt.run({
    op: `model.unpack [${flat.size}]`,
    inputs: [flat],
    outputs: [],
    writes: [...parts],
    gpu: (s, [src], outs) => {
      let off = 0;
      for (const t of outs) {
        s.copy(src.buffer, off * 4, t.buffer, 0, t.size * 4);
        off += t.size;
      }
    },
    cpu: ([src], outs) => {
      let off = 0;
      for (const a of outs) {
        a.set(src.subarray(off, off + a.length));
        off += a.length;
      }
    },
  });
}

/** Reads a tensor back and disposes it once read (or failed). */
export function readAndFree(t: Tensor): Promise<Float32Array> {
  const p = t.read();
  p.finally(() => t.dispose()).catch(() => undefined);
  return p;
}

/** Copies of ranges [offset, offset + size) of a flat tensor, one per range, with the given shapes (ranges may be gathered from several places). */
export function gather(rt: Runtime, flat: Tensor, pieces: readonly { shape: readonly number[]; ranges: readonly [number, number][] }[]): Tensor[] {
  return pieces.map((p) =>
    rt.run({
      op: 'model.split',
      inputs: [flat],
      outputs: [p.shape],
      gpu: (s, [a], [b]) => {
        let off = 0;
        for (const [at, n] of p.ranges) {
          s.copy(a.buffer, at * 4, b.buffer, off * 4, n * 4);
          off += n;
        }
      },
      cpu: ([a], [b]) => {
        let off = 0;
        for (const [at, n] of p.ranges) {
          b.set(a.subarray(at, at + n), off);
          off += n;
        }
      },
    })[0],
  );
}

/** Writes the pieces back into ranges of `flat` (the inverse of gather). */
export function scatter(rt: Runtime, parts: readonly Tensor[], flat: Tensor, ranges: readonly (readonly [number, number][])[]): void {
  rt.run({
    op: `model.scatter [${flat.size}]`,
    inputs: [...parts],
    outputs: [],
    writes: [flat],
    gpu: (s, ins, [out]) => {
      ins.forEach((t, i) => {
        let off = 0;
        for (const [at, n] of ranges[i]) {
          s.copy(t.buffer, off * 4, out.buffer, at * 4, n * 4);
          off += n;
        }
      });
    },
    cpu: (ins, [out]) => {
      ins.forEach((a, i) => {
        let off = 0;
        for (const [at, n] of ranges[i]) {
          out.set(a.subarray(off, off + n), at);
          off += n;
        }
      });
    },
  });
}
