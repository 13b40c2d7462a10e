/** The mapping of an export's records to import rows: paths, containers and how each cell is read. */
import { describe, expect, it } from 'vitest';
import { buildMapping, rowOf } from '../src/import/mapping.js';

describe('rowOf', () => {
  it('puts each cell at its path, in arrays for numeric segments, read as its field implies', () => {
    const mapping = buildMapping(null, ['sourceId', 'cards.1.number', 'customer.consent.sms', 'points', 'note']);
    const record = { sourceId: 'M1', 'cards.1.number': ' 88 ', 'customer.consent.sms': 'yes', points: '12', note: '' };
    expect(rowOf(record, mapping)).toEqual({
      sourceId: 'M1',
      cards: [undefined, { number: ' 88 ' }],
      customer: { consent: { sms: true } },
      points: 12,
    });
  });

  it('follows a change to a mapping it has read records with', () => {
    const mapping = buildMapping(null, ['sourceId', 'lineNo']);
    expect(rowOf({ sourceId: '7', lineNo: '3' }, mapping)).toEqual({ sourceId: '7', lineNo: 3 });
    mapping.rules[0]!.type = 'number';
    mapping.rules[1]!.path = ['sale', 'lines', '0', 'lineNo'];
    expect(rowOf({ sourceId: '7', lineNo: '3' }, mapping)).toEqual({ sourceId: 7, sale: { lines: [{ lineNo: 3 }] } });
    mapping.rules.push({ header: 'extra', path: ['extra'], type: 'json', offset: undefined });
    expect(rowOf({ sourceId: '7', lineNo: '3', extra: '[1]' }, mapping)).toMatchObject({ extra: [1] });
  });
});
