/**
 * The literal-union name types of src/names.ts against the tables the runtime resolves names
 * with: every spelling a type accepts works at run time, and every spelling the runtime lists is
 * in the type (so a name that works is never a compile error).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_ACTIVATIONS, Dense, Input, Sequential, createRuntime, findActivation, type Runtime } from '../src/index';
import { LOSSES, METRICS, findLoss } from '../src/losses/table';
import { ELEMENTWISE_ACTIVATION_NAMES, LOSS_NAMES_AND_ALIASES, METRIC_NAMES, OPTIMIZER_NAMES, ROW_ACTIVATION_NAMES } from '../src/names';

describe('name types match the run-time tables', () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await createRuntime({ backend: 'cpu' });
  });
  afterAll(() => rt.dispose());

  it('activations: every typed spelling resolves, every table name and alias is typed', () => {
    for (const name of ELEMENTWISE_ACTIVATION_NAMES) expect(findActivation(name), name).toBeDefined();
    const typed = new Set<string>(ELEMENTWISE_ACTIVATION_NAMES);
    const untyped = BUILTIN_ACTIVATIONS.flatMap((a) => [a.name, ...a.aliases]).filter((n) => !typed.has(n));
    expect(untyped).toEqual([]);
    for (const name of ROW_ACTIVATION_NAMES) expect(() => rt.activation(name, rt.tensor([[0, 0]])), name).not.toThrow();
  });

  it('activations: Dense takes every elementwise spelling and softmax', () => {
    for (const name of [...ELEMENTWISE_ACTIVATION_NAMES, 'softmax', 'Softmax'] as const) {
      expect(() => new Sequential([Input({ shape: [2] }), Dense({ units: 1, activation: name })], { runtime: rt }).compile({ loss: 'mse' }), name).not.toThrow();
    }
  });

  it('losses: the typed spellings are exactly the table names and aliases', () => {
    for (const name of LOSS_NAMES_AND_ALIASES) expect(findLoss('test', name).name, name).toBeTruthy();
    expect([...LOSS_NAMES_AND_ALIASES].sort()).toEqual(LOSSES.flatMap((l) => [l.name, ...l.aliases]).sort());
  });

  it('metrics: the typed spellings are exactly the table names and aliases', () => {
    expect([...METRIC_NAMES].sort()).toEqual(METRICS.flatMap((m) => [m.name, ...m.aliases]).sort());
  });

  it('optimizers: compile takes every typed spelling', () => {
    const m = new Sequential([Input({ shape: [2] }), Dense({ units: 1 })], { runtime: rt });
    for (const name of OPTIMIZER_NAMES) expect(() => m.compile({ loss: 'mse', optimizer: name }), name).not.toThrow();
  });
});
