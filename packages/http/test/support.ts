/** Helpers of the HTTP tests: requests against an app in process, and a chain whose callers have keys. */
import type { Hono } from 'hono';
import type { Store } from '@clientele/core';
import { loyalty } from '@clientele/loyalty';
import { EARN_ALL_PROGRAM, SYSTEM, openChain, type Chain } from '../../../tests/support/chain.js';
import { apiKeys, type ApiKeysApi } from '../src/index.js';

/** What a test reads of a response. */
export interface Reply {
  status: number;
  type: string | null;
  body: any;
  headers: Headers;
}

/** Options of {@link call}. */
export interface CallOptions {
  /** A JSON body (sent as `application/json`), or raw text with `type`. */
  json?: unknown;
  text?: string;
  type?: string;
  key?: string;
  idempotencyKey?: string;
  headers?: Record<string, string>;
}

/** Sends one request to `app` in process and reads the reply. */
export async function call(
  app: Hono<any, any, any>,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers['authorization'] = `Bearer ${options.key}`;
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  let body: string | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  } else if (options.text !== undefined) {
    body = options.text;
    if (options.type) headers['content-type'] = options.type;
  }
  const response = await app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  const type = response.headers.get('content-type');
  let parsed: unknown = text;
  if (type?.includes('json')) parsed = JSON.parse(text);
  return { status: response.status, type, body: parsed, headers: response.headers };
}

/** A chain (see `openChain`) with loyalty and the API keys module installed, and a role that manages keys. */
export async function openKeyedChain(store: Store): Promise<Chain & { keys: ApiKeysApi }> {
  const chain = await openChain(store, { modules: [loyalty(EARN_ALL_PROGRAM), apiKeys()] });
  const keys = (chain.crm as unknown as { apiKeys: ApiKeysApi }).apiKeys;
  return { ...chain, keys };
}

export { SYSTEM };
