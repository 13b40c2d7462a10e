/**
 * A typed client for TypeScript hosts of a remote Clientele: the same calls as `crm`, made over HTTP.
 * `client.customers.get(id)` is `GET /customers/get?customerId=...`, `client.purchases.record(sale,
 * { idempotencyKey })` a `POST` with the key in its header. Answers are JSON (dates as ISO 8601 text);
 * refusals throw a {@link ClienteleApiError}, a `ClienteleError` with the same `code` as in process.
 */
import {
  ClienteleError,
  type Clientele,
  type ErrorCode,
  type QueryOptions,
  type ValidationIssue,
} from '@clientele/core';
import type { complaints } from '@clientele/complaints';
import type { loyalty } from '@clientele/loyalty';
import type { segments } from '@clientele/segments';
import { readBinding, routeOf } from './operations.js';
import type { Problem } from './problems.js';
import { readWire, type ReadWire } from './read-wire.js';
import type { ReadSpec } from './reads.js';

/** A value as it comes back over JSON: dates become ISO 8601 text. */
export type Jsonified<T> = T extends Date
  ? string
  : T extends (...args: never[]) => unknown
    ? never
    : T extends ReadonlyArray<infer U>
      ? Jsonified<U>[]
      : T extends object
        ? { [K in keyof T]: Jsonified<T[K]> }
        : T;

/** Options of a command sent over HTTP: the actor is the client's key, so only the retry key remains. */
export interface RemoteCommandOptions {
  /** Sent as `Idempotency-Key`: a retry with the same key and input returns the first result. */
  idempotencyKey?: string;
}

/** A read's arguments without the reader's options that end them (the key says who reads). */
export type WithoutReader<A> = A extends [...infer Head, QueryOptions] ? Head : A;
/** What a remote call resolves to: the SDK's answer as it comes back over JSON. */
export type RemoteAnswer<R> = Promise<Jsonified<Awaited<R>>>;

/** Whether a last parameter is a command's options (it may carry an idempotency key) rather than a reader's. */
export type IsCommandOptions<O> = 'idempotencyKey' extends keyof O ? true : false;

/**
 * One function of `crm` as the client offers it: a command (input, then options that may carry an
 * idempotency key) takes its input and the retry key; a read takes its own arguments, without the
 * reader's options.
 */
export type RemoteCall<F> = F extends (...args: infer A) => infer R
  ? A extends [infer I, infer O]
    ? IsCommandOptions<O> extends true
      ? (input: I, options?: RemoteCommandOptions) => RemoteAnswer<R>
      : (...args: WithoutReader<A>) => RemoteAnswer<R>
    : (...args: WithoutReader<A>) => RemoteAnswer<R>
  : never;

/**
 * Names on `crm` the client leaves out wherever they are: what is not served (see `EXCLUDED`), and
 * settings rather than calls.
 */
export type NotServed =
  | 'store'
  | 'clock'
  | 'events'
  | 'outbox'
  | 'migrate'
  | 'runDue'
  | 'commands'
  | 'queries'
  | 'apiKeys'
  | 'forModules'
  | 'rebuild'
  | 'isCardNumber'
  | 'program'
  | 'config';

/**
 * Dotted paths on `crm` the client leaves out where a name alone would say too much: `close` of the
 * instance (a complaint's `close` is served) and loyalty's `explain` (a complaint's is served).
 */
export type NotServedPath = 'close' | 'loyalty.explain';

/** The client of a Clientele instance of type `T` (at dotted path `P` within it): its calls, made over HTTP. */
export type RemoteClientele<T, P extends string = ''> = {
  [K in keyof T & string as K extends NotServed
    ? never
    : `${P}${K}` extends NotServedPath
      ? never
      : T[K] extends object
        ? K
        : never]: T[K] extends (...args: never[]) => unknown ? RemoteCall<T[K]> : RemoteClientele<T[K], `${P}${K}.`>;
};

/** A Clientele with every module shipped: the default shape of a client. */
export type StandardClientele = Clientele<
  [ReturnType<typeof loyalty>, ReturnType<typeof complaints>, ReturnType<typeof segments>]
>;

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** The API key, sent as `Authorization: Bearer <key>`. */
  apiKey?: string | undefined;
  /** More headers for every request (the host's own token instead of a key, a trace id), or a function giving them. */
  headers?: Record<string, string> | (() => Record<string, string>) | undefined;
  /** The fetch to use (default the global one): a test passes `app.request`, a host an instrumented one. */
  fetch?: ((input: string, init: RequestInit) => Response | Promise<Response>) | undefined;
  /** How the reads of the server's own modules are called, as given to `clienteleApi`. */
  reads?: readonly ReadSpec[] | undefined;
}

/** A refusal or failure of a remote call: the problem details the server sent, as a `ClienteleError`. */
export class ClienteleApiError extends ClienteleError {
  /** The HTTP status. */
  readonly status: number;
  /** The problem details as sent. */
  readonly problem: Problem;
  /** Each failing value with its path (`VALIDATION_FAILED`). */
  readonly issues: readonly ValidationIssue[];

  constructor(problem: Problem) {
    // A failure on the server's side is, to its caller, a service that is not there: retry with the same key.
    const code: ErrorCode = problem.code === 'INTERNAL' ? 'STORE_UNAVAILABLE' : problem.code;
    const { type: _t, title: _ti, status: _s, detail: _d, code: _c, issues, ...details } = problem;
    const path = issues?.[0]?.path ?? (details['path'] as unknown[] | undefined);
    // The refusing state comes back under `status`, as a ClienteleError in process carries it.
    const state = typeof details['state'] === 'string' ? { status: details['state'] } : {};
    super(code, problem.detail, {
      ...details,
      ...state,
      ...(issues ? { issues } : {}),
      ...(path ? { path } : {}),
    });
    this.name = 'ClienteleApiError';
    this.status = problem.status;
    this.problem = problem;
    this.issues = issues ?? [];
  }
}

function problemFrom(status: number, text: string): Problem {
  try {
    const body = JSON.parse(text) as Problem;
    if (body && typeof body === 'object' && typeof body.code === 'string') return body;
  } catch {
    // Not a problem document: a proxy's error page, say.
  }
  return {
    type: 'about:blank',
    title: 'Unexpected answer',
    status,
    detail: `The server answered ${status} without problem details.`,
    code: 'INTERNAL',
  };
}

/** Query-string text of a value: dates as ISO 8601, arrays as repeated parameters. */
function appendParam(query: URLSearchParams, name: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) for (const v of value) appendParam(query, name, v);
  else query.append(name, value instanceof Date ? value.toISOString() : String(value));
}

/**
 * A typed client of the API at `baseUrl` (where `clienteleApi` is mounted): the calls of `crm`, each
 * made over HTTP with the API key. The type parameter is the server's `crm` type (by default one with
 * loyalty, complaints and segments installed).
 */
export function createClient<T extends object = StandardClientele>(
  baseUrl: string,
  options: ClientOptions = {},
): RemoteClientele<T> {
  const base = baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((input: string, init: RequestInit) => globalThis.fetch(input, init));
  const reads = new Map((options.reads ?? []).map((r) => [r.path, r]));
  const bindings = new Map<string, ReadWire | null>();

  /** How a read is sent (`null`: `path` is a command): the host's own reads first, then the shipped ones. */
  function bindingOf(path: string): ReadWire | null {
    let binding = bindings.get(path);
    if (binding === undefined) {
      const spec = reads.get(path);
      binding = spec ? readBinding(spec) : (readWire(path) ?? null);
      bindings.set(path, binding);
    }
    return binding;
  }

  function headersFor(): Record<string, string> {
    const extra = typeof options.headers === 'function' ? options.headers() : (options.headers ?? {});
    return { ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}), ...extra };
  }

  async function invoke(path: string, args: unknown[]): Promise<unknown> {
    const headers = headersFor();
    const route = routeOf(path);
    let url = `${base}${route}`;
    let init: RequestInit;
    const binding = bindingOf(path);
    if (binding) {
      const fields = binding.fieldsOf(args);
      if (binding.method === 'get') {
        const query = new URLSearchParams();
        for (const [name, value] of Object.entries(fields)) appendParam(query, name, value);
        const text = query.toString();
        if (text) url += `?${text}`;
        init = { method: 'GET', headers };
      } else {
        init = {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify(fields),
        };
      }
    } else {
      const retry = args[1] as RemoteCommandOptions | undefined;
      init = {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          ...(retry?.idempotencyKey !== undefined ? { 'idempotency-key': retry.idempotencyKey } : {}),
        },
        body: JSON.stringify(args[0] ?? {}),
      };
    }
    let response: Response;
    try {
      response = await doFetch(url, init);
    } catch (error) {
      throw new ClienteleApiError({
        type: 'about:blank',
        title: 'Unreachable',
        status: 0,
        detail: `The API could not be reached: ${(error as Error).message}`,
        code: 'INTERNAL',
      });
    }
    const text = await response.text();
    if (!response.ok) throw new ClienteleApiError(problemFrom(response.status, text));
    return text === '' ? undefined : JSON.parse(text);
  }

  function node(path: readonly string[]): unknown {
    return new Proxy(() => undefined, {
      get(_target, prop) {
        // Not a thenable: `await client.customers` must not call anything.
        if (typeof prop !== 'string' || prop === 'then') return undefined;
        return node([...path, prop]);
      },
      apply(_target, _this, args: unknown[]) {
        return invoke(path.join('.'), args);
      },
    });
  }

  return node([]) as RemoteClientele<T>;
}
