/**
 * Value coercions for stores that lack a native type: the factory an adapter calls so that it stays
 * thin. A store that keeps dates, booleans and JSON natively passes `native` and gets identity coercions.
 */
import { mayGenerateCode } from './generated-code.js';
import type { AnyRow, CollectionSpec, FieldSpec } from './schema.js';

/** How a store physically keeps each kind that not every database has. */
export interface CodecOptions {
  /** `native`: the driver takes and returns `Date`; `epoch-ms`: integer milliseconds; `iso`: ISO-8601 text. */
  dates: 'native' | 'epoch-ms' | 'iso';
  /** `native`: true/false; `integer`: 1/0. */
  booleans: 'native' | 'integer';
  /** Written as JSON text either way; `native`: the driver returns parsed values; `text`: it returns the text. */
  json: 'native' | 'text';
}

/** Converts between port values and a store's physical values for one collection. */
export interface RowCodec {
  /** Port value → stored value, for one field. `null` stays `null`. */
  encodeValue(fieldName: string, value: unknown): unknown;
  /**
   * Appends the stored value of each of the collection's fields of `row` to `out`, in field order (the
   * order of `collection.fields`; a field the row lacks as `null`): a bulk insert's parameters, with no
   * lookup by name per value.
   */
  encodeRowInto(row: AnyRow, out: unknown[]): void;
  /**
   * As {@link RowCodec.encodeRowInto}, writing the values at `out[at]` onwards: a bulk insert makes its
   * parameter array at its full length once rather than growing it a value at a time.
   */
  encodeRowAt(row: AnyRow, out: unknown[], at: number): void;
  /** Stored value → port value, for one field. */
  decodeValue(fieldName: string, value: unknown): unknown;
  /** Decodes a whole stored row (only the collection's fields are kept). */
  decodeRow(raw: Record<string, unknown>): AnyRow;
  /**
   * Decodes a stored row given as its values in field order (the order of `collection.fields`):
   * drivers that return rows as arrays skip building an object per row keyed by column name.
   */
  decodeValues(values: readonly unknown[]): AnyRow;
}

/** Passes a value as it is (a kind the store keeps natively). */
const same = (v: unknown): unknown => v;

function encoder(spec: FieldSpec, o: CodecOptions): (v: unknown) => unknown {
  switch (spec.kind) {
    case 'timestamp':
      if (o.dates === 'epoch-ms') return (v) => (v as Date).getTime();
      if (o.dates === 'iso') return (v) => (v as Date).toISOString();
      return same;
    case 'boolean':
      return o.booleans === 'integer' ? (v) => (v ? 1 : 0) : same;
    case 'json':
      // Drivers take JSON as text even where the column is native (a bare string must not pass unquoted).
      return (v) => JSON.stringify(v);
    default:
      return same;
  }
}

/**
 * `encodeRowAt` as code that reads each field by its name and calls its own encoder (none where the
 * value goes as it is): a bulk insert encodes every field of every row, and a read by a fixed name
 * and a call that always meets the same encoder cost a fraction of the loop's. Only the names go into
 * the code, as JSON string literals.
 */
function generatedRowEncoder(
  names: readonly string[],
  encoders: ReadonlyArray<(v: unknown) => unknown>,
): (row: AnyRow, out: unknown[], at: number) => void {
  const steps = names.map((name, i) => {
    const value = encoders[i] === same ? 'v' : `encoders[${i}](v)`;
    return `v = row[${JSON.stringify(name)}]; out[at + ${i}] = v === null || v === undefined ? null : ${value};`;
  });
  return new Function('encoders', `return function (row, out, at) { let v; ${steps.join(' ')} };`)(encoders) as (
    row: AnyRow,
    out: unknown[],
    at: number,
  ) => void;
}

function decoder(spec: FieldSpec, o: CodecOptions): (v: unknown) => unknown {
  switch (spec.kind) {
    case 'timestamp':
      if (o.dates === 'iso') return (v) => new Date(v as string);
      if (o.dates === 'epoch-ms') return (v) => new Date(Number(v));
      return (v) => (v instanceof Date ? new Date(v.getTime()) : new Date(v as string));
    case 'boolean':
      return (v) => v === true || v === 1 || v === 1n || v === '1' || v === 't';
    case 'integer':
      return (v) => (typeof v === 'number' ? v : Number(v));
    case 'json':
      return o.json === 'text' ? (v) => JSON.parse(v as string) : (v) => v;
    default:
      return (v) => v;
  }
}

/** Builds the codec of one collection. Build it once per collection and reuse it on the hot path. */
export function createRowCodec(collection: CollectionSpec, options: CodecOptions): RowCodec {
  const enc = new Map<string, (v: unknown) => unknown>();
  const dec = new Map<string, (v: unknown) => unknown>();
  for (const [name, spec] of Object.entries(collection.fields)) {
    enc.set(name, encoder(spec, options));
    dec.set(name, decoder(spec, options));
  }
  const names = Object.keys(collection.fields);
  const decoders = names.map((name) => dec.get(name)!);
  const encoders = names.map((name) => enc.get(name)!);
  const encodeRowAt = mayGenerateCode()
    ? generatedRowEncoder(names, encoders)
    : (row: AnyRow, out: unknown[], at: number) => {
        for (let i = 0; i < names.length; i++) {
          const v = row[names[i]!];
          out[at + i] = v === null || v === undefined ? null : encoders[i]!(v);
        }
      };
  return {
    encodeValue(fieldName, value) {
      if (value === null || value === undefined) return null;
      const e = enc.get(fieldName);
      return e ? e(value) : value;
    },
    encodeRowInto: (row, out) => encodeRowAt(row, out, out.length),
    encodeRowAt,
    decodeValue(fieldName, value) {
      if (value === null || value === undefined) return null;
      const d = dec.get(fieldName);
      return d ? d(value) : value;
    },
    decodeRow(raw) {
      const row: AnyRow = {};
      for (let i = 0; i < names.length; i++) {
        const v = raw[names[i]!];
        row[names[i]!] = v === null || v === undefined ? null : decoders[i]!(v);
      }
      return row;
    },
    decodeValues(values) {
      const row: AnyRow = {};
      for (let i = 0; i < names.length; i++) {
        const v = values[i];
        row[names[i]!] = v === null || v === undefined ? null : decoders[i]!(v);
      }
      return row;
    },
  };
}
