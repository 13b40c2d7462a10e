/**
 * Collections: how a module declares the data it owns. Adapters create tables (or their
 * equivalent) from these declarations; nothing else about a module's data is adapter-specific.
 */

/** The value kinds every store must keep exactly. */
export type FieldKind = 'string' | 'integer' | 'boolean' | 'timestamp' | 'json';

/** A JSON value as stored in a `json` field. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * One field of a collection. `T` is the TypeScript type of its value (phantom; used for typing rows).
 */
export interface FieldSpec<T = unknown> {
  /**
   * The kind of value. Integers are safe integers (|n| ≤ 2^53 - 1). Timestamps are `Date`s with millisecond precision.
   */
  readonly kind: FieldKind;
  /** Whether `null` is allowed. */
  readonly nullable: boolean;
  /** @internal phantom carrier of the value type */
  readonly __type?: T;
}

/** Builders for {@link FieldSpec}s. */
export const field = {
  /** Text of any length (Unicode). */
  string: (): FieldSpec<string> => ({ kind: 'string', nullable: false }),
  /** A safe integer: counts, money in minor units, sequence numbers. */
  integer: (): FieldSpec<number> => ({ kind: 'integer', nullable: false }),
  /** True or false. */
  boolean: (): FieldSpec<boolean> => ({ kind: 'boolean', nullable: false }),
  /** An instant, millisecond precision. */
  timestamp: (): FieldSpec<Date> => ({ kind: 'timestamp', nullable: false }),
  /** A JSON document (objects, arrays, numbers, strings, booleans, null). */
  json: <T = JsonValue>(): FieldSpec<T> => ({ kind: 'json', nullable: false }),
};

/** Makes a field nullable. */
export function nullable<T>(spec: FieldSpec<T>): FieldSpec<T | null> {
  return { kind: spec.kind, nullable: true };
}

/** An index over one or more fields; unique indexes also back `getBy`. */
export interface IndexSpec {
  /** Name, unique within the collection. */
  readonly name: string;
  /** Indexed fields, in order. */
  readonly fields: readonly string[];
  /** Whether two rows may not share the indexed values (rows with a null in an indexed field never clash). */
  readonly unique?: boolean;
}

/** The declaration of a collection (a table). */
export interface CollectionSpec<
  F extends Record<string, FieldSpec> = Record<string, FieldSpec>,
  K extends string = string,
> {
  /** Name, unique across all modules; lower snake case. */
  readonly name: string;
  /** The fields. When `versioned` is set, a managed integer `version` field is part of them. */
  readonly fields: F;
  /** The primary key field: a non-null string. */
  readonly primaryKey: K;
  /** Whether rows carry a `version` the store increments on every write (optimistic concurrency). */
  readonly versioned: boolean;
  /** Secondary and unique indexes. */
  readonly indexes: readonly IndexSpec[];
  /**
   * The field holding the id of the customer who owns the row, if any. Used to export, erase and
   * merge a customer's data generically, and as the shard key when rows are distributed by customer.
   */
  readonly customerKey?: string;
  /**
   * Fields that hold personal data (a name, a phone, a birth date, a person's own words); erasure of
   * the customer who owns the row clears them (null, `'[erased]'` or an empty JSON value). In a
   * collection without a customer key they are someone else's (a member of staff's name), and a
   * customer's erasure leaves them.
   */
  readonly personal: readonly string[];
  /**
   * Free text that may mention personal data among other things (notes, reasons, event payloads,
   * audit details, file names); erasure replaces each text inside them that mentions one of the
   * person's values by `'[erased]'`, in the person's rows and, in a collection without a customer
   * key, in every row.
   */
  readonly scrub?: readonly string[];
  /** Fields that hold no personal data: ids, codes, statuses, amounts, the retailer's own settings. */
  readonly plain?: readonly string[];
  /**
   * Fields that erasure rewrites with a function of the collection's own instead of clearing or
   * scrubbing them, because other code still reads their structure (a sale's quote context, replayed
   * for a return). Each is also declared `personal` or `scrub`.
   */
  readonly erase?: Readonly<Record<string, FieldEraser>>;
  /**
   * Whether a large share of the rows is rewritten at once, regularly (a nightly rebuild of derived
   * figures). A store that keeps old row versions until a clean-up tunes that clean-up to it, so the
   * next run's index reads stay in the index (PostgreSQL: autovacuum at 2% of the table's rows changed
   * instead of its default 20%). Other stores ignore it.
   */
  readonly rewrittenInBulk?: boolean;
}

/**
 * How a field relates to personal data: `personal` (cleared on erasure), `scrub` (free text: what
 * mentions the person is replaced) or `plain` (none).
 */
export type PrivacyClass = 'personal' | 'scrub' | 'plain';

/** The reads an eraser may make in the erasure's transaction (a store session has them). */
export interface ErasureReader {
  /** The row of `collection` under `key`, if any. */
  get<C extends CollectionSpec>(collection: C, key: string): Promise<RowOf<C> | undefined>;
}

/** What a {@link FieldEraser} is given. */
export interface FieldErasure {
  /** Whether a text mentions one of the person's values (see `personalValueMatcher`). */
  mentions(text: string): boolean;
  /** The default treatment of a `scrub` field: every text leaf that mentions a value becomes `'[erased]'`. */
  scrub(value: JsonValue): JsonValue;
  /** The row being erased, as stored. */
  readonly row: AnyRow;
  /** The erasure's transaction, for what the function needs to read. */
  readonly session: ErasureReader;
}

/** Rewrites one field of a row on erasure; returns the value to store. */
export type FieldEraser = (value: JsonValue, erasure: FieldErasure) => JsonValue | Promise<JsonValue>;

/** The input accepted by {@link defineCollection}. */
export interface CollectionInput<F extends Record<string, FieldSpec>, V extends boolean, K extends keyof F & string> {
  name: string;
  fields: F;
  primaryKey: K;
  versioned?: V;
  indexes?: readonly IndexSpec[];
  customerKey?: keyof F & string;
  /** Fields that hold personal data (see {@link CollectionSpec.personal}). */
  personal?: readonly (keyof F & string)[];
  /** Free text that may mention personal data (see {@link CollectionSpec.scrub}). */
  scrub?: readonly (keyof F & string)[];
  /**
   * Fields that hold no personal data. A string or JSON field in none of the three lists (other than
   * the primary key and the customer key, which are ids) is treated as `scrub`, the safe default:
   * erasure then replaces what in it mentions the person.
   */
  plain?: readonly (keyof F & string)[];
  /** Fields rewritten on erasure by a function (see {@link CollectionSpec.erase}). */
  erase?: Partial<Record<keyof F & string, FieldEraser>>;
  /** Whether many rows are rewritten at once, regularly (see {@link CollectionSpec.rewrittenInBulk}). */
  rewrittenInBulk?: boolean;
}

type WithVersion<F extends Record<string, FieldSpec>, V extends boolean> = V extends true
  ? F & { version: FieldSpec<number> }
  : F;

const NAME = /^[a-z][a-z0-9_]{0,62}$/;
const FIELD = /^[a-z][A-Za-z0-9]{0,62}$/;

/**
 * Declares a collection. Checks names and keys once, at definition time, so a bad declaration
 * fails where it is written rather than inside an adapter.
 */
export function defineCollection<
  F extends Record<string, FieldSpec>,
  K extends keyof F & string,
  V extends boolean = false,
>(input: CollectionInput<F, V, K>): CollectionSpec<WithVersion<F, V>, K> {
  if (!NAME.test(input.name)) throw new TypeError(`collection name must be lower snake case: ${input.name}`);
  const versioned = input.versioned === true;
  const fields: Record<string, FieldSpec> = { ...input.fields };
  for (const name of Object.keys(fields)) {
    if (!FIELD.test(name)) throw new TypeError(`${input.name}: field name must be camelCase ASCII: ${name}`);
  }
  if (versioned) {
    if ('version' in fields) throw new TypeError(`${input.name}: 'version' is managed by the store`);
    fields['version'] = field.integer();
  }
  const pk = fields[input.primaryKey];
  if (pk?.kind !== 'string' || pk.nullable) {
    throw new TypeError(`${input.name}: primary key ${input.primaryKey} must be a non-null string field`);
  }
  const indexes = input.indexes ?? [];
  const seen = new Set<string>();
  for (const index of indexes) {
    if (!NAME.test(index.name))
      throw new TypeError(`${input.name}: index name must be lower snake case: ${index.name}`);
    if (seen.has(index.name)) throw new TypeError(`${input.name}: duplicate index ${index.name}`);
    seen.add(index.name);
    if (index.fields.length === 0) throw new TypeError(`${input.name}.${index.name}: an index needs fields`);
    for (const f of index.fields) {
      const spec = fields[f];
      if (!spec) throw new TypeError(`${input.name}.${index.name}: unknown field ${f}`);
      if (spec.kind === 'json') throw new TypeError(`${input.name}.${index.name}: json field ${f} cannot be indexed`);
    }
  }
  const erase = (input.erase ?? {}) as Record<string, FieldEraser>;
  for (const f of [
    input.customerKey,
    ...(input.personal ?? []),
    ...(input.scrub ?? []),
    ...(input.plain ?? []),
    ...Object.keys(erase),
  ]) {
    if (f !== undefined && !fields[f]) throw new TypeError(`${input.name}: unknown field ${f}`);
  }
  const classOf = new Map<string, PrivacyClass>();
  for (const [cls, list] of [
    ['personal', input.personal],
    ['scrub', input.scrub],
    ['plain', input.plain],
  ] as const) {
    for (const f of list ?? []) {
      const seen = classOf.get(f);
      if (seen !== undefined) throw new TypeError(`${input.name}: field ${f} is declared both ${seen} and ${cls}`);
      classOf.set(f, cls);
    }
  }
  // Erasure keeps the keys: the rows stay under the bare ids, so totals still add up.
  for (const key of [input.primaryKey, input.customerKey]) {
    const cls = key === undefined ? undefined : classOf.get(key);
    if (cls !== undefined && cls !== 'plain') throw new TypeError(`${input.name}: key field ${key} cannot be ${cls}`);
  }
  for (const f of Object.keys(erase)) {
    const cls = classOf.get(f);
    if (cls !== 'personal' && cls !== 'scrub')
      throw new TypeError(`${input.name}: field ${f} has an eraser, so it must be declared personal or scrub`);
  }
  return {
    name: input.name,
    fields: fields as WithVersion<F, V>,
    primaryKey: input.primaryKey,
    versioned,
    indexes,
    ...(input.customerKey !== undefined ? { customerKey: input.customerKey } : {}),
    personal: input.personal ?? [],
    scrub: input.scrub ?? [],
    plain: input.plain ?? [],
    ...(Object.keys(erase).length ? { erase } : {}),
    ...(input.rewrittenInBulk ? { rewrittenInBulk: true } : {}),
  } as CollectionSpec<WithVersion<F, V>, K>;
}

/**
 * The privacy class of a field as declared; a string or JSON field declared nowhere is `scrub` (the
 * safe default), the primary key, the customer key and integer, boolean and timestamp fields `plain`.
 */
export function privacyClassOf(collection: CollectionSpec, name: string): PrivacyClass {
  if (collection.personal.includes(name)) return 'personal';
  if (collection.scrub?.includes(name)) return 'scrub';
  if (collection.plain?.includes(name) || name === collection.primaryKey || name === collection.customerKey)
    return 'plain';
  const spec = collection.fields[name];
  return spec && (spec.kind === 'string' || spec.kind === 'json') ? 'scrub' : 'plain';
}

/**
 * The string and JSON fields of a collection declared in none of `personal`, `scrub` and `plain`
 * (the keys excepted): a test over every collection keeps a new field from going unclassified.
 */
export function unclassifiedFields(collection: CollectionSpec): string[] {
  const declared = new Set([
    ...collection.personal,
    ...(collection.scrub ?? []),
    ...(collection.plain ?? []),
    collection.primaryKey,
    collection.customerKey,
  ]);
  return Object.entries(collection.fields)
    .filter(([name, spec]) => (spec.kind === 'string' || spec.kind === 'json') && !declared.has(name))
    .map(([name]) => name);
}

/** The TypeScript type of a stored row of collection `C`. */
export type RowOf<C extends CollectionSpec> = {
  [K in keyof C['fields']]: C['fields'][K] extends FieldSpec<infer T> ? T : never;
};

/** A row as given to `insert`: the managed `version` is left out. */
export type NewRowOf<C extends CollectionSpec> = Omit<RowOf<C>, 'version'>;

/** A partial row as given to `update`: neither the primary key nor the version can be patched. */
export type PatchOf<C extends CollectionSpec> = Partial<Omit<RowOf<C>, C['primaryKey'] | 'version'>>;

/** Any stored value. */
export type StoredValue = string | number | boolean | Date | JsonValue | null;

/** A row whose fields are not statically known (adapters work with these). */
export type AnyRow = Record<string, unknown>;
