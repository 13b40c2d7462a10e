/** Printing the figures and keeping them in a results file. */
import fs from 'node:fs';
import type { FigureResult } from './figure.js';

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The figures as a plain-text table: each beside its baseline, the ratio, and whether the target is met. */
export function formatTable(results: readonly FigureResult[]): string {
  const header = ['figure', 'unit', 'clientele', 'baseline', 'ratio', 'target', 'met'];
  const rows = results.map((r) => [
    r.id,
    `${r.unit} (${r.higherIsBetter ? 'higher' : 'lower'} is better)`,
    formatNumber(r.clientele),
    formatNumber(r.baseline),
    r.ratio.toFixed(3),
    r.target,
    r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  // Numbers right-aligned so magnitudes line up; text left-aligned.
  const numeric = new Set([2, 3, 4]);
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of rows) out.push(line(row));
  for (const r of results) {
    if (r.extra && Object.keys(r.extra).length)
      out.push(
        `${r.id}: ${Object.entries(r.extra)
          .map(([k, v]) => `${k}=${formatNumber(v)}`)
          .join(', ')}`,
      );
    if (r.note) out.push(`${r.id}: ${r.note}`);
  }
  return out.join('\n');
}

/** Reads a results file written earlier; an absent or unreadable file is no figures. */
export function readResults(file: string): FigureResult[] {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return Array.isArray(parsed) ? (parsed as FigureResult[]) : [];
  } catch {
    return [];
  }
}

/**
 * Writes the figures, keeping those of figures not run this time (so `--only` refreshes one entry
 * without dropping the others), in the order given by `order`. Fixed key order and 2-space indent
 * keep diffs of the committed file small.
 */
export function writeResults(file: string, fresh: readonly FigureResult[], order: readonly string[]): void {
  const byId = new Map(readResults(file).map((r) => [r.id, r] as const));
  for (const r of fresh) byId.set(r.id, r);
  const rank = (id: string) => (order.includes(id) ? order.indexOf(id) : order.length);
  const merged = [...byId.values()].sort((a, b) => rank(a.id) - rank(b.id) || a.id.localeCompare(b.id));
  const normalised = merged.map((r) => ({
    id: r.id,
    unit: r.unit,
    clientele: r.clientele,
    baseline: r.baseline,
    ratio: r.ratio,
    higherIsBetter: r.higherIsBetter,
    target: r.target,
    met: r.met,
    ...(r.samples !== undefined ? { samples: r.samples } : {}),
    ...(r.extra !== undefined ? { extra: r.extra } : {}),
    ...(r.note !== undefined ? { note: r.note } : {}),
  }));
  fs.writeFileSync(file, `${JSON.stringify(normalised, null, 2)}\n`);
}
