/** Console output for the demo: headings, aligned tables, money and local times. */
import { formatMoney, localDateTime } from '@clientele/core';

export const TZ = 'Asia/Shanghai';

export function heading(text: string): void {
  console.log(`\n== ${text} ${'='.repeat(Math.max(0, 72 - text.length))}`);
}

export function line(text = ''): void {
  console.log(text ? `  ${text}` : '');
}

export const yuan = (fen: number) => formatMoney(fen, 'CNY');
export const local = (at: Date) => localDateTime(at, TZ);

/** Display width: CJK characters take two columns in a terminal. */
function width(text: string): number {
  let w = 0;
  for (const ch of text) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return w;
}

function pad(text: string, to: number, right = false): string {
  const fill = ' '.repeat(Math.max(0, to - width(text)));
  return right ? fill + text : text + fill;
}

/** Prints rows as an aligned table; columns whose header ends with ':' align right. */
export function table(headers: string[], rows: string[][]): void {
  const right = headers.map((h) => h.endsWith(':'));
  const titles = headers.map((h) => h.replace(/:$/, ''));
  const widths = titles.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const fmt = (cells: string[]) => '  ' + cells.map((c, i) => pad(c, widths[i]!, right[i])).join('  ');
  console.log(fmt(titles));
  console.log('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(fmt(r));
}
