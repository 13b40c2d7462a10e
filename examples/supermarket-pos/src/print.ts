/** Console output for the demo: headings, aligned tables, money and local times. */
import { formatMoney, localDateTime } from '@clientele/core';

export const TZ = 'Asia/Shanghai';

export function heading(text: string): void {
  console.log(`\n== ${text} ${'='.repeat(Math.max(0, 72 - displayWidth(text)))}`.trimEnd());
}

/** The widest line the demo prints, in terminal columns. */
export const COLUMNS = 100;

/**
 * Prints a paragraph indented by two columns, wrapped at word boundaries to fit {@link COLUMNS};
 * continuation lines are indented two more, so a wrapped sentence reads as one.
 */
export function line(text = '', indent = 2): void {
  if (!text) return void console.log('');
  const body = text.trimStart();
  indent += text.length - body.length;
  let current = ' '.repeat(indent);
  let empty = true;
  for (const word of body.split(' ')) {
    if (!empty && displayWidth(current) + 1 + displayWidth(word) > COLUMNS) {
      console.log(current);
      current = ' '.repeat(indent + 2);
      empty = true;
    }
    current += (empty ? '' : ' ') + word;
    empty = false;
  }
  console.log(current);
}

export const yuan = (fen: number) => formatMoney(fen, 'CNY');
export const local = (at: Date) => localDateTime(at, TZ);

/** Display width: CJK characters take two columns in a terminal. */
export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text)
    w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch)
      ? 2
      : 1;
  return w;
}

function pad(text: string, to: number, right = false): string {
  const fill = ' '.repeat(Math.max(0, to - displayWidth(text)));
  return right ? fill + text : text + fill;
}

/** Prints rows as an aligned table; columns whose header ends with ':' align right. */
export function table(headers: string[], rows: string[][]): void {
  const right = headers.map((h) => h.endsWith(':'));
  const titles = headers.map((h) => h.replace(/:$/, ''));
  const widths = titles.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const fmt = (cells: string[]) => `  ${cells.map((c, i) => pad(c, widths[i]!, right[i])).join('  ')}`.trimEnd();
  console.log(fmt(titles));
  console.log(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const r of rows) console.log(fmt(r));
}
