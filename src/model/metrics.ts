/**
 * Loss and metric names as a model compiles them: thin over the semantics table
 * (src/losses/table.ts), which holds the names, ids and conventions.
 */
import { LOSSES, type LossEntry, type ValueId } from '../losses/table';

export { findLoss, metricValueId } from '../losses/table';

/** The loss op name (`rt.lossGrad`) that computes value id `id` on probabilities. */
export function lossOpName(id: ValueId): string {
  const e = LOSSES.find((l: LossEntry) => l.id === id && l.targets !== 'classIndices');
  if (!e) throw new Error(`no loss op computes value id ${id}`);
  return e.name;
}
