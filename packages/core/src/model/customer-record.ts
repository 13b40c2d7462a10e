/**
 * Pure mapping between the customer model and its stored row: flattening, completeness, and the
 * field-by-field difference that profile history records.
 */
import type { JsonValue, RowOf } from '../store/schema.js';
import type { customersCollection } from './customer-collections.js';
import type { CompletenessRules, Customer, CustomerKind } from './customer-schemas.js';

/** A stored customer row. */
export type CustomerRow = RowOf<typeof customersCollection>;

/** The flat, kind-specific fields of a customer as one object (what history compares). */
export type ProfileFields = Record<string, JsonValue>;

const ORG_KEYS = [
  'legalName',
  'tradeName',
  'taxId',
  'industry',
  'region',
  'sizeClass',
  'contacts',
  'supplier',
] as const;

/** Normalises a name for duplicate search: Unicode NFKC, lower case, no spaces or punctuation. */
export function nameKey(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\p{P}\p{S}]/gu, '');
}

const INDIVIDUAL_PROFILE_KEYS: readonly string[] = Object.freeze(['name', 'gender', 'birthDate', 'address']);
const ORG_PROFILE_KEYS: readonly string[] = Object.freeze([...ORG_KEYS, 'address']);

/** Fields stored in `profile` for a kind (the rest are columns): one list per kind, not one per call. */
export function profileKeys(kind: CustomerKind): readonly string[] {
  return kind === 'individual' ? INDIVIDUAL_PROFILE_KEYS : ORG_PROFILE_KEYS;
}

/** The display name of a set of profile fields. */
export function displayNameOf(kind: CustomerKind, fields: ProfileFields): string {
  if (kind === 'individual') return String(fields['name'] ?? '');
  return String(fields['tradeName'] ?? fields['legalName'] ?? '');
}

function present(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

/** Dotted paths cut into their parts once (an import looks the same few paths up in every row). */
const pathParts = new Map<string, readonly string[]>();

function lookup(fields: ProfileFields, path: string): unknown {
  let parts = pathParts.get(path);
  if (!parts) {
    parts = path.split('.');
    if (pathParts.size < 1000) pathParts.set(path, parts);
  }
  let cur: unknown = fields;
  // Indexed loops here and below: `for...of` made an iterator result per step for each customer.
  for (let i = 0; i < parts.length; i++) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[parts[i]!];
  }
  return cur;
}

/** Which expected fields are missing and the resulting score (0-100). */
export function completenessOf(
  kind: CustomerKind,
  fields: ProfileFields,
  rules: CompletenessRules,
): { score: number; missing: string[] } {
  const expected = rules[kind];
  // A loop, not `filter` with a callback: no function per customer of an import.
  const missing: string[] = [];
  for (let i = 0; i < expected.length; i++) if (!present(lookup(fields, expected[i]!))) missing.push(expected[i]!);
  const score = expected.length === 0 ? 100 : Math.round((100 * (expected.length - missing.length)) / expected.length);
  return { score, missing };
}

/** Flattens a row into the fields history and completeness look at. */
export function fieldsOfRow(row: CustomerRow): ProfileFields {
  return {
    ...row.profile,
    homeStoreId: row.homeStoreId,
    phone: row.phone,
    email: row.email,
    tags: row.tags,
    consent: row.consent as JsonValue,
    attributes: row.attributes,
    ...(row.kind === 'supplier' ? { alsoCustomer: row.isCustomer } : {}),
  };
}

/** A text field's value, or null when absent or not text (no closure made per row: an import builds many). */
function textField(fields: ProfileFields, key: string): string | null {
  const v = fields[key];
  return typeof v === 'string' ? v : null;
}

/** Builds the stored columns from flat fields (everything but ids, status and timestamps). */
export function columnsOf(kind: CustomerKind, fields: ProfileFields, rules: CompletenessRules) {
  const profile: Record<string, JsonValue> = {};
  const keys = profileKeys(kind);
  for (let i = 0; i < keys.length; i++) profile[keys[i]!] = (fields[keys[i]!] ?? null) as JsonValue;
  const { score, missing } = completenessOf(kind, fields, rules);
  const displayName = displayNameOf(kind, fields);
  return {
    kind,
    isCustomer: kind === 'supplier' ? fields['alsoCustomer'] === true : true,
    isSupplier: kind === 'supplier' || (kind === 'organisation' && present(fields['supplier'])),
    displayName,
    nameKey: nameKey(displayName),
    phone: textField(fields, 'phone'),
    email: textField(fields, 'email'),
    taxId: kind === 'individual' ? null : textField(fields, 'taxId'),
    region: kind === 'individual' ? null : textField(fields, 'region'),
    industry: kind === 'individual' ? null : textField(fields, 'industry'),
    sizeClass: kind === 'individual' ? null : textField(fields, 'sizeClass'),
    homeStoreId: textField(fields, 'homeStoreId'),
    profile,
    tags: (fields['tags'] as string[] | undefined) ?? [],
    consent: (fields['consent'] as Record<string, boolean> | undefined) ?? {},
    attributes: (fields['attributes'] as Record<string, JsonValue> | undefined) ?? {},
    completeness: score,
    missing,
  };
}

/** The public view of a stored row. */
export function toCustomer(row: CustomerRow): Customer {
  const p = row.profile;
  const text = (k: string) => (p[k] as string | null | undefined) ?? null;
  const common = {
    id: row.id,
    status: row.status as Customer['status'],
    mergedInto: row.mergedInto,
    roles: { customer: row.isCustomer, supplier: row.isSupplier },
    displayName: row.displayName,
    homeStoreId: row.homeStoreId,
    phone: row.phone,
    email: row.email,
    address: text('address'),
    tags: row.tags,
    consent: row.consent,
    attributes: row.attributes,
    completeness: { score: row.completeness, missing: row.missing },
    lastVerifiedAt: row.lastVerifiedAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    version: row.version,
  };
  // Object.assign, not `{ ...common, kind }`: V8 builds a spread followed by more properties one
  // slow property at a time (microseconds per customer), and this runs on every card swipe.
  if (row.kind === 'individual') {
    return Object.assign(common, {
      kind: 'individual' as const,
      name: text('name') ?? '',
      gender: text('gender') as 'female' | 'male' | 'other' | null,
      birthDate: text('birthDate'),
    });
  }
  return Object.assign(common, {
    legalName: text('legalName') ?? '',
    tradeName: text('tradeName'),
    taxId: text('taxId'),
    industry: text('industry'),
    region: text('region'),
    sizeClass: text('sizeClass') as Customer extends { sizeClass: infer S } ? S : never,
    contacts: (p['contacts'] as never) ?? [],
    supplier: (p['supplier'] as never) ?? null,
    kind: row.kind === 'organisation' ? ('organisation' as const) : ('supplier' as const),
  });
}

/** One field's change, as profile history stores it. */
export interface FieldChange {
  field: string;
  before: JsonValue;
  after: JsonValue;
}

/** The fields whose values differ between two flat field sets (deep comparison by canonical JSON). */
export function diffFields(before: ProfileFields, after: ProfileFields): FieldChange[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const changes: FieldChange[] = [];
  for (const field of keys) {
    const a = (before[field] ?? null) as JsonValue;
    const b = (after[field] ?? null) as JsonValue;
    if (JSON.stringify(sortKeys(a)) !== JSON.stringify(sortKeys(b))) changes.push({ field, before: a, after: b });
  }
  return changes;
}

function sortKeys(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]!);
    return out;
  }
  return v;
}
