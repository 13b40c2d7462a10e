/**
 * `clienteleApi(crm, options)`: every command and read of a Clientele instance as a Hono app, which a
 * host mounts in its own Hono app, serves with `@hono/node-server`, or hands to Bun, Deno or an edge
 * runtime as a fetch handler.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { isClienteleError, ulidGenerator, type Actor, type Clientele, type JsonValue } from '@clientele/core';
import { auditLog, grants } from '@clientele/core/module';
import type { ApiKeysApi } from './api-keys.js';
import { referencePage, registerContract } from './contract.js';
import { operationsOf, type Operation } from './operations.js';
import { HttpProblem, badRequest, problemOf, problemResponse } from './problems.js';
import type { ReadSpec } from './reads.js';
import { refusalThrottle } from './refusal-throttle.js';
import { readJsonBody, readQuery } from './request.js';

/**
 * Who a request comes from, as the `authenticate` hook or a key says: a member of staff (who may do
 * what their role grants, narrowed by `permissions` when given), or a named system with the
 * permissions listed (a system actor with no list would be unlimited, so one is required).
 */
export type Caller =
  | { staffId: string; permissions?: readonly string[] | null }
  | { system: string; permissions: readonly string[] };

/** Options of {@link clienteleApi}. */
export interface ClienteleApiOptions {
  /**
   * Checks the host's own credentials (a JWT from its staff login, a session cookie) and says who the
   * caller is, or `null` to fall back to API keys. Throwing refuses the request as unauthenticated.
   */
  authenticate?: (request: Request) => Caller | null | Promise<Caller | null>;
  /** The largest request body accepted, in bytes (default 1 MiB); a larger one is refused with 413. */
  bodyLimit?: number;
  /** How the reads of the host's own modules are called (see `READS` for the shipped ones). */
  reads?: readonly ReadSpec[];
  /** Whether `/openapi.json` and `/docs` are served (default true; they need no key). */
  docs?: boolean;
  /** The title of the OpenAPI document (default `Clientele`). */
  title?: string;
  /** The version of the OpenAPI document (default `0.1.0`). */
  version?: string;
  /**
   * The URL the API is reached at from outside, for the document's `servers` (default: worked out
   * from each request to `/openapi.json`; set it behind a proxy that rewrites paths).
   */
  publicUrl?: string;
  /**
   * 401s are audited at most once per kind (the reason; for a revoked key, the key) in this many ms on
   * each server, the next entry counting those left out in `details.suppressed`, so that requests
   * without a valid key cannot fill the audit log (default 60 000; 0 audits every one).
   */
  unauthenticatedAuditWindowMs?: number;
  /** Receives errors no caller should see (a 500, an audit entry not written); default `console.error`. */
  onError?: (error: unknown, request?: Request) => void;
}

/** A request's caller, resolved. */
interface Resolved {
  actor: Actor;
  /** What the key or hook allows (`null`: what the staff member's role grants). */
  permissions: readonly string[] | null;
  keyId: string | null;
}

const DEFAULT_BODY_LIMIT = 1024 * 1024;
const DEFAULT_UNAUTHENTICATED_AUDIT_WINDOW_MS = 60_000;
/** How long a staff member's role is remembered for reads core does not check itself. */
const ROLE_TTL_MS = 1000;

function callerToResolved(caller: Caller, keyId: string | null): Resolved {
  if ('system' in caller) {
    if (!Array.isArray(caller.permissions)) throw new TypeError('authenticate: a system caller lists its permissions');
    return { actor: { system: caller.system }, permissions: [...caller.permissions], keyId };
  }
  return {
    actor: { staffId: caller.staffId },
    permissions: caller.permissions ? [...caller.permissions] : null,
    keyId,
  };
}

/** Turns a result into JSON text: dates as ISO 8601, integers past 2^53 (none are expected) as text. */
function toJson(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

/**
 * The HTTP API of `crm`: a Hono app serving every command (`POST`, JSON body) and every read (`GET`
 * with query parameters, or `POST` when it takes nested input), `/openapi.json` and `/docs`. Callers
 * authenticate with `Authorization: Bearer <key>` (keys from the `apiKeys()` module) or through
 * `options.authenticate`; errors are RFC 9457 problem details.
 */
// The app's typed routes are generated at run time, so the Hono type carries no per-route schema.
export function clienteleApi(crm: Clientele<any>, options: ClienteleApiOptions = {}): OpenAPIHono {
  const keys = (crm as unknown as { apiKeys?: ApiKeysApi }).apiKeys;
  if (!keys && !options.authenticate)
    throw new TypeError('clienteleApi: install the apiKeys() module or pass options.authenticate');
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const { operations } = operationsOf(crm, options.reads);
  const ids = ulidGenerator(() => crm.clock.now().getTime());
  const inFlight = new Set<string>();
  const roles = new Map<string, { permissions: readonly string[] | null; until: number }>();
  const report = options.onError ?? ((error: unknown) => console.error('clientele http: request failed', error));
  const unauthenticated = refusalThrottle(
    options.unauthenticatedAuditWindowMs ?? DEFAULT_UNAUTHENTICATED_AUDIT_WINDOW_MS,
  );

  /** Writes the audit entry of a refusal the HTTP layer made (core audits its own). */
  async function auditRefusal(
    command: string,
    actor: Actor | null,
    reason: string,
    details: Record<string, JsonValue>,
    keyId: string | null,
  ): Promise<void> {
    try {
      await crm.store.insert(auditLog, {
        id: ids.next('aud'),
        at: crm.clock.now(),
        actor: (actor ?? { system: 'anonymous' }) as JsonValue,
        command,
        outcome: 'refused',
        errorCode: 'PERMISSION_DENIED',
        customerId: null,
        targetType: keyId ? 'api-key' : null,
        targetId: keyId,
        details: { reason, transport: 'http', ...details },
      });
    } catch (error) {
      // The refusal stands without its audit entry; the host hears why the entry is missing.
      report(error);
    }
  }

  /** Audits a 401, unless one of its kind was audited within the window (then it is only counted). */
  async function auditUnauthenticated(op: Operation, reason: string, keyId: string | null): Promise<void> {
    // Only a revoked key's id names a real key; any other id comes from the caller, so it makes no kind.
    const kind = reason === 'revoked_key' ? `${reason}:${keyId}` : reason;
    const verdict = unauthenticated.admit(kind, crm.clock.now().getTime());
    if (!verdict.write) return;
    await auditRefusal(op.audited, null, reason, verdict.suppressed ? { suppressed: verdict.suppressed } : {}, keyId);
  }

  async function identify(request: Request, op: Operation): Promise<Resolved> {
    const header = request.headers.get('authorization');
    if (options.authenticate) {
      let caller: Caller | null;
      try {
        caller = await options.authenticate(request);
      } catch {
        await auditUnauthenticated(op, 'rejected_credentials', null);
        throw new HttpProblem({
          status: 401,
          code: 'PERMISSION_DENIED',
          reason: 'rejected_credentials',
          detail: 'The credentials were refused.',
        });
      }
      if (caller) return callerToResolved(caller, null);
    }
    const token = header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    if (!token || !keys) {
      await auditUnauthenticated(op, 'missing_key', null);
      throw new HttpProblem({
        status: 401,
        code: 'PERMISSION_DENIED',
        reason: 'missing_key',
        detail: 'Send an API key: Authorization: Bearer <key>.',
      });
    }
    const check = await keys.check(token);
    if (!check.ok) {
      await auditUnauthenticated(op, check.reason, check.keyId);
      throw new HttpProblem({
        status: 401,
        code: 'PERMISSION_DENIED',
        reason: check.reason,
        detail: check.reason === 'revoked_key' ? 'This API key was revoked.' : 'This API key is not known.',
      });
    }
    const key = check.key;
    return callerToResolved(
      'system' in key.actor
        ? { system: key.actor.system, permissions: key.permissions ?? [] }
        : { staffId: key.actor.staffId, permissions: key.permissions },
      key.id,
    );
  }

  /** The permissions of a staff member's role, for reads core does not check itself (`null`: inactive). */
  async function rolePermissions(staffId: string): Promise<readonly string[] | null> {
    const hit = roles.get(staffId);
    if (hit && hit.until > performance.now()) return hit.permissions;
    let permissions: readonly string[] | null = null;
    try {
      const staff = await crm.staff.get(staffId);
      if (staff.active) permissions = (await crm.roles.get(staff.roleId)).permissions;
    } catch (error) {
      if (!isClienteleError(error)) throw error;
    }
    if (roles.size > 1000) roles.clear();
    roles.set(staffId, { permissions, until: performance.now() + ROLE_TTL_MS });
    return permissions;
  }

  async function authorize(caller: Resolved, op: Operation): Promise<void> {
    let allowed = caller.permissions === null || grants(caller.permissions, op.permission);
    if (allowed && !op.checkedByCore && 'staffId' in caller.actor) {
      const own = await rolePermissions(caller.actor.staffId);
      allowed = own !== null && grants(own, op.permission);
    }
    if (allowed) return;
    await auditRefusal(op.audited, caller.actor, 'not_permitted', { permission: op.permission }, caller.keyId);
    throw new HttpProblem({
      status: 403,
      code: 'PERMISSION_DENIED',
      reason: 'not_permitted',
      permission: op.permission,
      detail: `This caller may not ${op.permission}.`,
    });
  }

  const handle = (op: Operation) => async (c: Context) => {
    const caller = await identify(c.req.raw, op);
    await authorize(caller, op);
    const input =
      op.method === 'get'
        ? readQuery(new URL(c.req.url).searchParams, op.fields!)
        : await readJsonBody(c.req.raw, bodyLimit);
    if (op.kind === 'read' && op.method === 'post') checkReadBody(input, op);
    const key = op.idempotency ? c.req.header('idempotency-key') : undefined;
    if (key !== undefined) {
      // A retry that arrives while the first attempt still runs is refused, not run beside it: the
      // caller waits and sends it again, and then gets the first result.
      if (inFlight.has(key))
        throw new HttpProblem({
          status: 409,
          code: 'CONFLICT',
          reason: 'in_flight',
          detail: 'A request with this idempotency key is still being processed; retry later.',
        });
      inFlight.add(key);
    }
    try {
      const result = await op.call(input as Record<string, unknown>, caller.actor, key);
      return new Response(toJson(result), { status: 200, headers: { 'content-type': 'application/json' } });
    } finally {
      if (key !== undefined) inFlight.delete(key);
    }
  };

  const app = new OpenAPIHono();
  app.onError((error, c) => {
    const problem = problemOf(error);
    if (problem.status >= 500 && problem.code === 'INTERNAL') report(error, c.req.raw);
    return problemResponse(problem);
  });
  app.notFound((c) =>
    problemResponse(
      new HttpProblem({ status: 404, code: 'NOT_FOUND', reason: 'unknown_route', detail: `No route ${c.req.path}.` })
        .problem,
    ),
  );

  for (const op of operations) {
    app.on(op.method.toUpperCase(), op.route, handle(op));
    const allow = op.method === 'get' ? 'GET, HEAD' : 'POST';
    app.all(op.route, () =>
      problemResponse(
        new HttpProblem({
          status: 405,
          code: 'VALIDATION_FAILED',
          reason: 'method_not_allowed',
          detail: `${op.route} takes ${op.method.toUpperCase()}.`,
        }).problem,
        { allow },
      ),
    );
  }

  if (options.docs !== false) {
    registerContract(app, operations);
    let document: Record<string, unknown> | null = null;
    app.get('/openapi.json', (c) => {
      document ??= app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: options.title ?? 'Clientele',
          version: options.version ?? '0.1.0',
          description: [
            'Every command and read of Clientele.',
            'Money is in integer minor units beside its currency; times are ISO 8601 with an offset;',
            'lists page with the opaque cursor in `next`, sent back as `after`.',
          ].join(' '),
        },
        security: [{ apiKey: [] }],
      }) as unknown as Record<string, unknown>;
      const base = options.publicUrl ?? new URL(c.req.url).pathname.replace(/\/openapi\.json$/, '');
      return c.json({ ...document, servers: [{ url: base || '/' }] });
    });
    app.get('/docs', (c) => c.html(referencePage(options.title ?? 'Clientele', './openapi.json')));
  }
  return app;
}

/** A read sent as JSON: an object of the read's fields, and no others. */
function checkReadBody(input: unknown, op: Operation): void {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw badRequest([], 'invalid_type', 'the body is a JSON object of the fields of the read');
  const unknown = Object.keys(input).filter((k) => !op.fields!.has(k));
  if (unknown.length) throw badRequest([unknown[0]!], 'unrecognized_keys', `unknown field ${unknown[0]}`);
}
