/**
 * Gentle polling for Dawn in Node.
 *
 * While any of its promises is pending (mapAsync, onSubmittedWorkDone, popErrorScope, ...),
 * Dawn's Node binding polls the device by rescheduling a native callback with the global
 * `setImmediate`, so an `await` on the GPU keeps one CPU core at 100%. On a CPU adapter
 * (lavapipe) that core is taken from the "GPU": three 1024^3 matmuls ran 1.4-1.7x faster here
 * when the polling slept; on a real GPU it is a core the application loses while it waits.
 *
 * While this runtime awaits the GPU (`beginWait` / `endWait`), reschedules that native code
 * makes straight from Node's immediate queue go through `setTimeout(fn, 1)` once the wait has
 * lasted `SPIN_MS`: short waits keep their latency, long ones stop burning a core.
 * Nothing else changes: a call with a JavaScript caller (any user code) or outside our waits goes
 * to the real `setImmediate`.
 */

/**
 * Polling runs at full speed this long into a wait before it sleeps 1 ms between ticks. Chains
 * of small ops (tens of ms of many short dispatches) finished about 30% later on lavapipe with
 * 2 ms here (paired runs, 1,000 chained 1,024-float ops); at 20 ms they matched the busy poll,
 * while waits of hundreds of ms still sleep for nearly all their length.
 */
const SPIN_MS = 20;

type SetImmediate = (fn: (...args: unknown[]) => void, ...args: unknown[]) => unknown;

let activeWaits = 0;
let installed = false;
/** When the current run of overlapping waits began. */
let waitStart = 0;

/** Installs the wrapper once per process (Node only; a no-op where there is no setImmediate). */
export function installGentlePolling(): void {
  const g = globalThis as { setImmediate?: SetImmediate };
  if (installed || typeof g.setImmediate !== 'function') return;
  installed = true;
  const real = g.setImmediate;
  const holder: { stack?: string } = {};
  const wrapped: SetImmediate = function setImmediate(fn, ...args) {
    if (activeWaits > 0 && performance.now() - waitStart > SPIN_MS && typeof fn === 'function' && fromNativeTick(wrapped, holder)) {
      return setTimeout(fn, 1, ...args);
    }
    return real(fn, ...args);
  };
  g.setImmediate = wrapped;
}

/** True when the caller is native code run directly by Node's immediate queue. */
function fromNativeTick(self: SetImmediate, holder: { stack?: string }): boolean {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  Error.captureStackTrace(holder, self);
  Error.stackTraceLimit = limit;
  const top = holder.stack ?? '';
  return top.includes('processImmediate (node:internal/timers');
}

/** Marks the start of an await on GPU work; pair with `endWait`. */
export function beginWait(): void {
  if (activeWaits++ === 0) waitStart = performance.now();
}

export function endWait(): void {
  activeWaits = Math.max(0, activeWaits - 1);
}

/** Runs `p` as a GPU wait. */
export async function asWait<T>(p: Promise<T>): Promise<T> {
  beginWait();
  try {
    return await p;
  } finally {
    endWait();
  }
}
