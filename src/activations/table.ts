// PLACEHOLDER (being replaced by the full activation table).
import type { ActivationSpec } from './types';
const mk = (name: string, id: number, f: (x: number) => number, d: (x: number) => number): ActivationSpec => ({
  name, id, aliases: [], paramNames: [], doc: { formula: '', derivative: '' },
  pack: () => [0, 0, 0, 0], forward: (x) => f(x), backward: (x, dy) => dy * d(x),
});
export const BUILTIN_ACTIVATIONS: readonly ActivationSpec[] = [
  mk('sigmoid', 1, (x) => 1 / (1 + Math.exp(-x)), (x) => { const s = 1 / (1 + Math.exp(-x)); return s * (1 - s); }),
  mk('relu', 4, (x) => (x > 0 ? x : 0), (x) => (x > 0 ? 1 : 0)),
];
export function findActivation(name: string): ActivationSpec | undefined {
  return BUILTIN_ACTIVATIONS.find((a) => a.name === name || a.aliases.includes(name));
}
