import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readEntries, type Entry, type EntryOptions } from '../src/import/entries.js';
import { tempDir } from './support.js';

const temp = tempDir();
afterAll(() => temp.remove());

async function collect(entries: AsyncIterable<Entry>): Promise<Entry[]> {
  const out: Entry[] = [];
  for await (const e of entries) out.push(e);
  return out;
}

const skus = (row: Record<string, unknown>) =>
  (row['sale'] as { lines: Array<{ sku: string }> }).lines.map((l) => l.sku).join('');

const options = (file: string, more: Partial<EntryOptions> = {}): EntryOptions => ({
  file,
  format: 'csv',
  encoding: 'utf-8',
  kind: 'customers',
  mapping: null,
  ...more,
});

describe('the importer reading an export', () => {
  it('keeps a sale over several lines together, an unreadable line between reported at once', async () => {
    const file = join(temp.dir, 'sales.csv');
    const text = [
      'sourceId,sale.storeId,sale.lines.0.sku',
      'S1,S01,A',
      'S1,S01,B',
      'S2,S01,C',
      'S2,S01,\uFFFF',
      'S2,S01,D',
      'S2,S01,E',
      'S3,S01,F',
    ].join('\n');
    // Line 5 holds bytes that are not UTF-8.
    writeFileSync(
      file,
      Buffer.from(text.replace('\uFFFF', '@'), 'utf8').map((b) => (b === 0x40 ? 0xff : b)),
    );
    const entries = await collect(readEntries(options(file, { kind: 'sales' })));
    const summary = entries.map((e) =>
      e.row ? `${e.line}:${e.row['sourceId']}:${skus(e.row)}` : `${e.line}:unreadable:${e.unreadable.code}`,
    );
    expect(summary).toEqual(['2:S1:AB', '5:unreadable:encoding', '4:S2:CDE', '8:S3:F']);
  });

  it('fills in the kind of a customer row that does not give one', async () => {
    const file = join(temp.dir, 'members.csv');
    writeFileSync(file, 'sourceId,customer.name,customer.kind\nM1,Sun Li,\nM2,Acme,organisation\n');
    const entries = await collect(readEntries(options(file)));
    expect(entries.map((e) => (e.row!['customer'] as { kind: string }).kind)).toEqual(['individual', 'organisation']);
  });

  it('skips a UTF-8 byte-order mark, and takes a UTF-16 one for bytes that are not UTF-8', async () => {
    const body = Buffer.from('sourceId,customer.name\nM1,孙丽\n');
    const marked = join(temp.dir, 'marked.csv');
    writeFileSync(marked, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]));
    const utf8 = await collect(readEntries(options(marked, { encoding: 'UTF8' })));
    expect(utf8.map((e) => e.row)).toEqual([{ sourceId: 'M1', customer: { name: '孙丽', kind: 'individual' } }]);
    // The parser would take a UTF-16 mark as a change of encoding; read as UTF-8, the header is not text.
    const utf16 = join(temp.dir, 'utf16-mark.csv');
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), body]));
    const columns: string[] = [];
    await collect(readEntries(options(utf16, { onMapping: (m) => columns.push(...m.rules.map((r) => r.header)) })));
    expect(columns[0]).toBe('\uFFFD\uFFFDsourceId');
  });
});
