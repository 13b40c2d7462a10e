/**
 * The table of what the API serves, built from the `crm` it is given: every registered command (found
 * by walking `crm`, each with the schema, permission and idempotency it registered), every read listed
 * in {@link READS}, the wrappers of commands, and nothing excluded. A command a module adds tomorrow is
 * served tomorrow without a line here.
 */
import * as z from 'zod';
import type { Actor, CommandInfo, QueryInfo } from '@clientele/core';
import { requestFields } from './read-fields.js';
import { EXCLUDED, READS, WRAPPERS, type ArgSpec, type ReadSpec } from './reads.js';

/** How a request field's text is read from a query string. */
export type FieldKind = 'string' | 'number' | 'integer' | 'boolean' | 'array';

/** One served operation. */
export interface Operation {
  /** Its path on `crm` (`loyalty.vouchers.issue`), also the OpenAPI `operationId`. */
  readonly name: string;
  readonly kind: 'command' | 'read';
  /** Reads whose fields are all plain values are `get` (fields in the query string); the rest `post`. */
  readonly method: 'get' | 'post';
  /** `/loyalty/vouchers/issue`. */
  readonly route: string;
  /** The permission the caller needs. */
  readonly permission: string;
  /** The name it is audited under (`loyalty.vouchers.issue`, `cards.define-type`). */
  readonly audited: string;
  /** Whether it takes an `Idempotency-Key` (commands), and whether it must. */
  readonly idempotency: 'required' | 'optional' | null;
  /** Whether core checks a staff caller's role itself (commands and registered queries do). */
  readonly checkedByCore: boolean;
  /** The request body's or query string's schema. */
  readonly input: z.ZodType;
  /** For reads, each request field and how its query-string text is read (`null` for commands). */
  readonly fields: ReadonlyMap<string, FieldKind | null> | null;
  /** Runs it as `actor`. */
  call(input: Record<string, unknown>, actor: Actor, idempotencyKey: string | undefined): Promise<unknown>;
}

/** What {@link operationsOf} found. */
export interface OperationTable {
  readonly operations: readonly Operation[];
  /** Functions on `crm` that are neither served nor excluded: reads of a module with no entry in `reads`. */
  readonly unrouted: readonly string[];
}

type Fn = ((...args: unknown[]) => unknown) & { info?: CommandInfo | QueryInfo };

/** Every function reachable on `crm` (nested API objects included), by its path. */
export function functionsOf(root: object): Map<string, Fn> {
  const out = new Map<string, Fn>();
  const seen = new Set<object>();
  const stack: Array<{ value: object; path: string }> = [{ value: root, path: '' }];
  while (stack.length) {
    const { value, path } = stack.pop()!;
    if (seen.has(value)) continue;
    seen.add(value);
    for (const key of Object.keys(value)) {
      // Infrastructure, not the command surface.
      if (path === '' && ['store', 'clock', 'events', 'outbox'].includes(key)) continue;
      const child = (value as Record<string, unknown>)[key];
      const at = path ? `${path}.${key}` : key;
      if (typeof child === 'function') out.set(at, child as Fn);
      else if (child !== null && typeof child === 'object' && !Array.isArray(child))
        stack.push({ value: child, path: at });
    }
  }
  return out;
}

const kebab = (segment: string) => segment.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The URL path of a function on `crm`: `loyalty.storedValue.setPin` is `/loyalty/stored-value/set-pin`. */
export function routeOf(path: string): string {
  return `/${path.split('.').map(kebab).join('/')}`;
}

const isCommandInfo = (info: CommandInfo | QueryInfo | undefined): info is CommandInfo =>
  info !== undefined && 'input' in info;

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
};

/** Dates are sent as ISO 8601 text with an offset. */
function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    override(ctx) {
      const def = (ctx.zodSchema as { _zod?: { def?: { type?: string } } })._zod?.def;
      if (def?.type === 'date') Object.assign(ctx.jsonSchema, { type: 'string', format: 'date-time' });
    },
  }) as JsonSchema;
}

/** The plain kind of a JSON schema (`null` when it is not one value a query string can carry). */
function scalarKind(s: JsonSchema): Exclude<FieldKind, 'array'> | null {
  if (s.anyOf || s.oneOf) {
    const kinds = new Set((s.anyOf ?? s.oneOf)!.filter((m) => m.type !== 'null').map(scalarKind));
    if (kinds.has(null) || kinds.size !== 1)
      return kinds.size === 2 && kinds.has('integer') && kinds.has('number') ? 'number' : null;
    return [...kinds][0]!;
  }
  const types = (Array.isArray(s.type) ? s.type : s.type ? [s.type] : []).filter((t) => t !== 'null');
  if (types.length === 1 && ['string', 'number', 'integer', 'boolean'].includes(types[0]!))
    return types[0] as Exclude<FieldKind, 'array'>;
  const values = s.enum ?? (s.const !== undefined ? [s.const] : null);
  if (values?.length && values.every((v) => typeof v === 'string')) return 'string';
  return null;
}

function fieldKind(schema: z.ZodType): FieldKind | null {
  const s = jsonSchemaOf(schema);
  if (s.type === 'array' && s.items && scalarKind(s.items) !== null) return 'array';
  return scalarKind(s);
}

const optionalIn = (schema: z.ZodType) => schema.safeParse(undefined).success;

/** How one read is called over HTTP: its request schema, its fields, its method, and its arguments both ways. */
export interface ReadBinding {
  /** The request's schema: every field of every argument. */
  readonly input: z.ZodObject;
  /** Each request field and how its query-string text is read (`null`: not a plain value). */
  readonly fields: ReadonlyMap<string, FieldKind | null>;
  /** `get` when every field is a plain value a query string can carry. */
  readonly method: 'get' | 'post';
  /** The read's positional arguments from the request's fields. */
  argsOf(body: Record<string, unknown>): unknown[];
  /** The request's fields from the read's positional arguments (what a client sends). */
  fieldsOf(args: readonly unknown[]): Record<string, unknown>;
}

/** The binding of a read's request fields to its positional arguments. */
export function readBinding(spec: ReadSpec): ReadBinding {
  const shape: Record<string, z.ZodType> = {};
  for (const arg of spec.args) {
    if ('field' in arg) shape[arg.field] = arg.optional ? arg.schema.optional() : arg.schema;
    else Object.assign(shape, arg.fields.shape);
  }
  const input = z.object(shape).strict();
  const argsOf = (body: Record<string, unknown>): unknown[] => {
    const args = spec.args.map((arg: ArgSpec) => {
      if ('field' in arg) return body[arg.field];
      const keys = Object.keys(arg.fields.shape).filter((k) => body[k] !== undefined);
      // An options object nobody filled in is left out, so the read's defaults apply; a required one
      // is passed empty, so the read names each missing field.
      if (keys.length === 0) return Object.values(arg.fields.shape).every(optionalIn) ? undefined : {};
      return Object.fromEntries(keys.map((k) => [k, body[k]]));
    });
    while (args.length && args[args.length - 1] === undefined) args.pop();
    return args;
  };
  const names = spec.args.map((arg) => ('field' in arg ? arg.field : null));
  const fieldsOf = (args: readonly unknown[]) => requestFields(names, args);
  const fields = new Map(Object.entries(shape).map(([name, schema]) => [name, fieldKind(schema)]));
  const method = [...fields.values()].every((k) => k !== null) ? 'get' : 'post';
  return { input, fields, method, argsOf, fieldsOf };
}

/**
 * The operations `crm` serves. `extraReads` describes the reads of the host's own modules; a read
 * with no description is left out and listed in `unrouted`.
 */
export function operationsOf(crm: object, extraReads: readonly ReadSpec[] = []): OperationTable {
  const functions = functionsOf(crm);
  const reads = new Map([...READS, ...extraReads].map((r) => [r.path, r]));
  const wrappers = new Map(WRAPPERS.map((w) => [w.path, w]));
  const excluded = new Set(EXCLUDED.map((e) => e.path));
  const registry = new Map(
    ((crm as { commands?: () => readonly CommandInfo[] }).commands?.() ?? []).map((c) => [c.name, c]),
  );
  const operations: Operation[] = [];
  const unrouted: string[] = [];

  for (const [path, fn] of functions) {
    if (excluded.has(path)) continue;
    const info = fn.info;
    const wrapper = wrappers.get(path);
    const registered = isCommandInfo(info) ? info : wrapper ? registry.get(wrapper.command) : undefined;
    if (registered) {
      operations.push({
        name: path,
        kind: 'command',
        method: 'post',
        route: routeOf(path),
        permission: registered.permission,
        audited: registered.name,
        idempotency: registered.idempotency,
        checkedByCore: true,
        input: wrapper ? wrapper.input(registered.input) : registered.input,
        fields: null,
        call: (input, actor, key) =>
          fn(input, key === undefined ? { actor } : { actor, idempotencyKey: key }) as Promise<unknown>,
      });
      continue;
    }
    const spec = reads.get(path);
    const query = info && !isCommandInfo(info) ? info : null;
    if (!spec || (!query && !spec.permission)) {
      unrouted.push(path);
      continue;
    }
    const { input, argsOf, fields, method } = readBinding(spec);
    operations.push({
      name: path,
      kind: 'read',
      method,
      route: routeOf(path),
      permission: query?.permission ?? spec.permission!,
      audited: query?.name ?? path,
      idempotency: null,
      checkedByCore: query !== null,
      input,
      fields,
      call: async (body, actor) => (query ? fn(...argsOf(body), { actor }) : fn(...argsOf(body))),
    });
  }
  operations.sort((a, b) => (a.route < b.route ? -1 : a.route > b.route ? 1 : 0));
  return { operations, unrouted: unrouted.sort() };
}
