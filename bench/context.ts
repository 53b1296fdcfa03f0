/** What every benchmark section gets, and what it hands back. */
import type { Runtime } from '../src/runtime';
import type { Tfjs } from './tfjs';
import type { GpuTimer } from './timing';

export interface Flags {
  compareTfjs: boolean;
  soak: boolean;
  quick: boolean;
  only: string | null;
  soakOps: number | null;
}

export interface Ctx {
  rt: Runtime;
  flags: Flags;
  /** Timestamp replays, or null when the adapter has no timestamp-query. */
  timer: GpuTimer | null;
  /** TensorFlow.js, or null without `--compare tfjs` (or when it failed to load). */
  tfjs: Tfjs | null;
  /** Prints a line now (progress and notes). */
  log(line: string): void;
}

/** A checked goal: `ok` null when it could not be evaluated in this run. */
export interface Goal {
  text: string;
  ok: boolean | null;
  value?: string;
}

export interface Table {
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
}

export interface SectionResult {
  name: string;
  /** How the figures were taken. */
  method: string[];
  tables: Table[];
  goals: Goal[];
  /** Why parts were skipped. */
  notes: string[];
  errors: string[];
  /** Raw figures for the JSON file. */
  data: Record<string, unknown>;
}

export function newSection(name: string): SectionResult {
  return { name, method: [], tables: [], goals: [], notes: [], errors: [], data: {} };
}

export function goal(text: string, ok: boolean | null, value?: string): Goal {
  return { text, ok, value };
}

/** Formats a number with `digits` significant digits (null -> '-'). */
export function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  return String(Number(v.toPrecision(digits)));
}

export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

export function errorText(e: unknown): string {
  const err = e as Error;
  return `${err?.name ?? 'Error'}: ${String(err?.message ?? e).split('\n').slice(0, 4).join(' | ')}`;
}
