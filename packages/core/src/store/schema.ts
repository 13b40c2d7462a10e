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
  /** The kind of value. Integers are safe integers (|n| ≤ 2^53 - 1). Timestamps are `Date`s with millisecond precision. */
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
export interface CollectionSpec<F extends Record<string, FieldSpec> = Record<string, FieldSpec>, K extends string = string> {
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
  /** Fields that hold personal data; erasure clears them (null, `'[erased]'` or an empty JSON value). */
  readonly personal: readonly string[];
  /**
   * Fields that may mention personal data among other things (event payloads, audit details);
   * erasure replaces each text inside them that contains one of the person's values.
   */
  readonly scrub?: readonly string[];
}

/** The input accepted by {@link defineCollection}. */
export interface CollectionInput<F extends Record<string, FieldSpec>, V extends boolean, K extends keyof F & string> {
  name: string;
  fields: F;
  primaryKey: K;
  versioned?: V;
  indexes?: readonly IndexSpec[];
  customerKey?: keyof F & string;
  personal?: readonly (keyof F & string)[];
  scrub?: readonly (keyof F & string)[];
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
export function defineCollection<F extends Record<string, FieldSpec>, K extends keyof F & string, V extends boolean = false>(
  input: CollectionInput<F, V, K>,
): CollectionSpec<WithVersion<F, V>, K> {
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
  if (!pk || pk.kind !== 'string' || pk.nullable) {
    throw new TypeError(`${input.name}: primary key ${input.primaryKey} must be a non-null string field`);
  }
  const indexes = input.indexes ?? [];
  const seen = new Set<string>();
  for (const index of indexes) {
    if (!NAME.test(index.name)) throw new TypeError(`${input.name}: index name must be lower snake case: ${index.name}`);
    if (seen.has(index.name)) throw new TypeError(`${input.name}: duplicate index ${index.name}`);
    seen.add(index.name);
    if (index.fields.length === 0) throw new TypeError(`${input.name}.${index.name}: an index needs fields`);
    for (const f of index.fields) {
      const spec = fields[f];
      if (!spec) throw new TypeError(`${input.name}.${index.name}: unknown field ${f}`);
      if (spec.kind === 'json') throw new TypeError(`${input.name}.${index.name}: json field ${f} cannot be indexed`);
    }
  }
  for (const f of [input.customerKey, ...(input.personal ?? []), ...(input.scrub ?? [])]) {
    if (f !== undefined && !fields[f]) throw new TypeError(`${input.name}: unknown field ${f}`);
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
  } as CollectionSpec<WithVersion<F, V>, K>;
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
