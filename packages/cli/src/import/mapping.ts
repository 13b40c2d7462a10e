/**
 * The column mapping: which column of the old system's export fills which field of an import row, and
 * how its text is read. Pure: a record in, a row out.
 */
import * as z from 'zod';

/** How a column's text is read. */
export const COLUMN_TYPES = ['string', 'number', 'integer', 'boolean', 'instant', 'json'] as const;

const columnSchema = z.union([
  z.string().min(1),
  z
    .object({
      /** The field of the row, as a dotted path: `customer.phone`, `cards.0.number`. */
      path: z.string().min(1),
      type: z.enum(COLUMN_TYPES).optional(),
      /** For `instant` columns without an offset (`2019-03-01 08:30`): the offset they are in, e.g. `+08:00`. */
      offset: z
        .string()
        .regex(/^[+-][0-9]{2}:[0-9]{2}$|^Z$/)
        .optional(),
    })
    .strict(),
]);

/** The mapping file's schema. */
export const mappingFileSchema = z
  .object({
    /** Column header → row path (or `{ path, type, offset }`). Columns not listed are left out. */
    columns: z.record(z.string(), columnSchema),
    /** Fixed values for every row, by row path: `{ "customer.kind": "individual" }`. */
    values: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
/** A mapping file as written. */
export type MappingFile = z.input<typeof mappingFileSchema>;

/** One column's place in the row. */
export interface ColumnRule {
  header: string;
  path: string[];
  type: (typeof COLUMN_TYPES)[number] | undefined;
  offset: string | undefined;
}

/** A mapping ready to apply. */
export interface Mapping {
  rules: ColumnRule[];
  values: Array<[string[], unknown]>;
  /** Every header's row path, to name a column for a rejected field. */
  headerOf(path: ReadonlyArray<string | number>): string | null;
}

/** Field names whose text is read as a number when the mapping does not say. */
const NUMERIC = new Set(['quantity', 'unitPrice', 'discount', 'amount', 'lineNo', 'points', 'value', 'balance']);
/** Field names read as `true`/`false` when the mapping does not say (and every field under `consent`). */
const BOOLEAN = new Set(['verified', 'alsoCustomer']);

const split = (path: string) => path.split('.').filter((p) => p.length > 0);

/**
 * Builds a mapping from a mapping file, or, without one, from the headers themselves (each header is
 * its row path: `customer.name`, `cards.0.number`).
 */
export function buildMapping(file: MappingFile | null, headers?: readonly string[]): Mapping {
  const rules: ColumnRule[] = file
    ? Object.entries(file.columns).map(([header, c]) =>
        typeof c === 'string'
          ? { header, path: split(c), type: undefined, offset: undefined }
          : { header, path: split(c.path), type: c.type, offset: c.offset },
      )
    : (headers ?? []).map((header) => ({ header, path: split(header), type: undefined, offset: undefined }));
  const values = Object.entries(file?.values ?? {}).map(([p, v]) => [split(p), v] as [string[], unknown]);
  const byPath = new Map(rules.map((r) => [r.path.join('.'), r.header]));
  return {
    rules,
    values,
    headerOf(path) {
      // The longest prefix of the failing path that a column fills: `cards.0.number` for `cards.0.number`.
      for (let n = path.length; n > 0; n--) {
        const header = byPath.get(path.slice(0, n).join('.'));
        if (header !== undefined) return header;
      }
      return null;
    },
  };
}

/** How a column's text is read: its mapping's type, or the one its field's name implies. */
function typeOf(rule: ColumnRule): (typeof COLUMN_TYPES)[number] {
  const last = rule.path[rule.path.length - 1] ?? '';
  const flag = BOOLEAN.has(last) || rule.path[rule.path.length - 2] === 'consent';
  return rule.type ?? (NUMERIC.has(last) ? 'number' : flag ? 'boolean' : 'string');
}

/** A cell's text read as its column says; `undefined` for an empty cell (the field is left out). */
export function readCell(text: string, rule: ColumnRule): unknown {
  return readAs(text, typeOf(rule), rule);
}

/** A cell's text read as `type`. */
function readAs(text: string, type: (typeof COLUMN_TYPES)[number], rule: ColumnRule): unknown {
  const value = text.trim();
  if (value === '') return undefined;
  switch (type) {
    case 'string':
      return text;
    case 'number':
    case 'integer': {
      // Anything that is not a plain number stays text, so the row's schema names what is wrong.
      const n = Number(value);
      return /^-?[0-9]+(\.[0-9]+)?$/.test(value) && Number.isFinite(n) ? n : value;
    }
    case 'boolean':
      return /^(true|yes|y|1)$/i.test(value) ? true : /^(false|no|n|0)$/i.test(value) ? false : value;
    case 'instant': {
      const local = /^([0-9]{4}-[0-9]{2}-[0-9]{2})[ T]([0-9]{2}:[0-9]{2})(:[0-9]{2})?$/.exec(value);
      if (local && rule.offset) return `${local[1]}T${local[2]}${local[3] ?? ':00'}${rule.offset}`;
      const day = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(value);
      if (day && rule.offset) return `${value}T00:00:00${rule.offset}`;
      return value;
    }
    case 'json':
      try {
        return JSON.parse(value) as unknown;
      } catch {
        return value;
      }
  }
}

/** Whether a path segment is an array index (ASCII digits only): a loop, as it runs for each cell of each line. */
function isIndex(segment: string): boolean {
  if (segment.length === 0) return false;
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Sets `value` at `path` in `target`, making objects (or arrays, for numeric segments) on the way. */
export function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  setAt(target, path, arraysOn(path), value);
}

/** For each segment of `path` but the last, whether the container it names is an array (the next is an index). */
function arraysOn(path: readonly string[]): boolean[] {
  return path.slice(0, -1).map((_, i) => isIndex(path[i + 1]!));
}

/** {@link setPath} with the kind of each container on the way worked out beforehand. */
function setAt(target: Record<string, unknown>, path: readonly string[], arrays: readonly boolean[], value: unknown) {
  let node: Record<string, unknown> = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = arrays[i] ? [] : {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/** A column rule with what `rowOf` works out of it once rather than for each cell. */
interface ReadyRule {
  rule: ColumnRule;
  /** The rule's own `path` and `type` when it was made ready. */
  path: readonly string[];
  declared: ColumnRule['type'];
  type: (typeof COLUMN_TYPES)[number];
  arrays: boolean[];
}

/** Each mapping's rules made ready, by the rules' list. */
const readyRules = new WeakMap<readonly ColumnRule[], ReadyRule[]>();

function readyRulesOf(rules: readonly ColumnRule[]): ReadyRule[] {
  let ready = readyRules.get(rules);
  if (!ready || !stillReady(ready, rules)) {
    ready = rules.map((rule) => ({
      rule,
      path: rule.path,
      declared: rule.type,
      type: typeOf(rule),
      arrays: arraysOn(rule.path),
    }));
    readyRules.set(rules, ready);
  }
  return ready;
}

/** Whether the rules are those made ready (a caller may change a mapping it built). */
function stillReady(ready: readonly ReadyRule[], rules: readonly ColumnRule[]): boolean {
  if (ready.length !== rules.length) return false;
  for (let i = 0; i < rules.length; i++) {
    const r = ready[i]!;
    const rule = rules[i]!;
    if (
      r.rule !== rule ||
      r.path !== rule.path ||
      r.declared !== rule.type ||
      r.arrays.length !== Math.max(0, r.path.length - 1)
    )
      return false;
  }
  return true;
}

/** The import row a record of the export makes. */
export function rowOf(record: Readonly<Record<string, string>>, mapping: Mapping): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [path, value] of mapping.values) setPath(row, path, structuredClone(value));
  for (const { rule, type, arrays } of readyRulesOf(mapping.rules)) {
    const text = record[rule.header];
    if (text === undefined) continue;
    const value = readAs(text, type, rule);
    if (value !== undefined) setAt(row, rule.path, arrays, value);
  }
  return row;
}
