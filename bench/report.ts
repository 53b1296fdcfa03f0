/** Prints section results as text tables and writes them as JSON. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SectionResult, Table } from './context';

export function formatTable(t: Table): string {
  const cells = [t.columns, ...t.rows.map((r) => r.map((c) => (c === null ? '-' : String(c))))];
  const widths = t.columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = t.columns.map((_, i) => t.rows.every((r) => r[i] === null || r[i] === '' || r[i] === '-' || !Number.isNaN(Number(r[i]))));
  const line = (r: string[]) => r.map((c, i) => (numeric[i] && i > 0 ? (c ?? '').padStart(widths[i]) : (c ?? '').padEnd(widths[i]))).join('  ');
  return [`## ${t.title}`, line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function formatSection(s: SectionResult): string {
  const out: string[] = [`\n==== ${s.name} ====`];
  for (const m of s.method) out.push(`method: ${m}`);
  for (const t of s.tables) out.push('', formatTable(t));
  if (s.goals.length > 0) {
    out.push('', 'goals:');
    for (const g of s.goals) out.push(`  [${g.ok === null ? 'n/a ' : g.ok ? 'MET ' : 'MISS'}] ${g.text}${g.value ? `: ${g.value}` : ''}`);
  }
  for (const n of s.notes) out.push(`note: ${n}`);
  for (const e of s.errors) out.push(`ERROR: ${e}`);
  return out.join('\n');
}

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
}
