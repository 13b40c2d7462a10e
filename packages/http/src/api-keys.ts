/**
 * API keys: how a till, an e-shop or another system proves who it is over HTTP. A small module of
 * its own (`apiKeys()`), so its keys live in the store the rest of Clientele uses, are made and
 * revoked by audited commands, and migrate with everything else. Only a SHA-256 hash of each secret
 * is stored; the secret is shown once, when the key is made.
 */
import * as z from 'zod';
import { InvalidStateError, NotFoundError, type CommandOptions } from '@clientele/core';
import {
  defineCollection,
  defineModule,
  field,
  idSchema,
  invalid,
  mustGet,
  nullable,
  pageSchema,
  parseInput,
  randomBytes,
  shortTextSchema,
  staffCollection,
  type Migration,
  type RowOf,
} from '@clientele/core/module';

/** Who acts through a key: a member of staff, or a named system (an e-shop, a nightly import). */
export type ApiKeyActor = { staffId: string } | { system: string };

/** The keys, one row each; the secret itself is never stored. */
export const apiKeysCollection = defineCollection({
  name: 'http_api_keys',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    /** What the key is for, as the retailer names it ("Till 3, Renmin Road"). */
    name: field.string(),
    /** SHA-256 of the secret, lowercase hex. */
    secretHash: field.string(),
    actor: field.json<ApiKeyActor>(),
    /** What the key may do (`null`: what the staff member's role grants). */
    permissions: nullable(field.json<string[]>()),
    createdAt: field.timestamp(),
    revokedAt: nullable(field.timestamp()),
    lastUsedAt: nullable(field.timestamp()),
  },
  indexes: [{ name: 'http_api_keys_created', fields: ['createdAt'] }],
  plain: ['name', 'secretHash', 'actor', 'permissions'],
});

/** The module's migrations, in order; applied ones are never edited. */
export const apiKeysMigrations: readonly Migration[] = [
  { id: 'http/0001-api-keys', steps: [{ op: 'createCollection', collection: apiKeysCollection }] },
];

/** A key as its owner sees it: everything but the hash of its secret. */
export interface ApiKey {
  id: string;
  name: string;
  actor: ApiKeyActor;
  /** What the key may do; `null` for a staff key that may do what the role grants. */
  permissions: string[] | null;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

/** A key just made, with the token the caller sends: shown this once and never again. */
export interface NewApiKey {
  key: ApiKey;
  /** `Authorization: Bearer <token>`; keep it like a password. */
  token: string;
}

/** What checking a token found. */
export type KeyCheck =
  | { ok: true; key: ApiKey }
  | { ok: false; reason: 'malformed_key' | 'unknown_key' | 'revoked_key'; keyId: string | null };

/** A permission as roles name them: `area.action`, `area.*` or `*`. */
export const permissionSchema = z
  .string()
  .max(100)
  .regex(/^(\*|[a-z][a-z-]*(\.[a-z*][a-z-]*)*)$/, 'permissions look like area.action, area.* or *');

/** Input of `crm.apiKeys.create`. */
export const createApiKeySchema = z
  .object({
    name: shortTextSchema,
    actor: z.union([
      z.object({ staffId: idSchema }).strict(),
      z
        .object({
          system: z
            .string()
            .min(1)
            .max(64)
            .regex(/^[a-z][a-z0-9._-]*$/, 'a lowercase name'),
        })
        .strict(),
    ]),
    /**
     * What the key may do. Required for a system key (a system actor is otherwise unlimited); for a
     * staff key it narrows what the role grants.
     */
    permissions: z.array(permissionSchema).min(1).max(200).optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    if ('system' in input.actor && !input.permissions)
      ctx.addIssue({
        code: 'custom',
        path: ['permissions'],
        message: 'a system key lists what it may do',
        params: { code: 'required' },
      });
  });

/** Input of `crm.apiKeys.revoke`. */
export const revokeApiKeySchema = z.object({ keyId: idSchema, reason: shortTextSchema.optional() }).strict();

const listSchema = pageSchema.extend({ includeRevoked: z.boolean().default(false) }).strict();

const TOKEN = /^(key_[0-9A-Z]{26})\.([A-Za-z0-9_-]{43})$/;

/**
 * How long a key found good is remembered, ms: a till sends many requests a second, and each would
 * otherwise read its key. A key revoked on another server is refused there within this time.
 */
const KEY_TTL_MS = 1000;

/** How often the last use of a key is written at most: every request would make a read a write. */
const LAST_USE_EVERY_MS = 60_000;

function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

function base64url(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** SHA-256 of `secret`, lowercase hex (Web Crypto: Node, Bun, Deno and edge runtimes alike). */
export async function hashSecret(secret: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(secret));
  return toHex(new Uint8Array(digest));
}

/** Compares two hex digests in time that does not depend on where they differ. */
function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function toApiKey(row: RowOf<typeof apiKeysCollection>): ApiKey {
  return {
    id: row.id,
    name: row.name,
    actor: row.actor,
    permissions: row.permissions,
    createdAt: row.createdAt,
    revokedAt: row.revokedAt,
    lastUsedAt: row.lastUsedAt,
  };
}

/**
 * The API keys module: `createClientele({ modules: [..., apiKeys()] })` gives `crm.apiKeys`, which
 * `clienteleApi` checks every request's key against. Making and revoking keys needs `api-keys.manage`
 * and is audited; these commands are not served over HTTP, so a key cannot make itself a stronger one.
 */
export function apiKeys() {
  return defineModule({
    name: 'apiKeys',
    collections: [apiKeysCollection],
    migrations: apiKeysMigrations,
    setup(kernel) {
      /** Keys found good lately, by id (see `KEY_TTL_MS`). */
      const accepted = new Map<string, { row: RowOf<typeof apiKeysCollection>; until: number }>();

      const createCommand = kernel.command({
        name: 'api-keys.create',
        input: z
          .object({
            id: idSchema,
            secretHash: z.string().regex(/^[0-9a-f]{64}$/),
            name: shortTextSchema,
            actor: z.union([z.object({ staffId: idSchema }).strict(), z.object({ system: z.string() }).strict()]),
            permissions: z.array(permissionSchema).optional(),
          })
          .strict(),
        permission: 'api-keys.manage',
        idempotency: 'optional',
        async run(ctx, input) {
          if ('staffId' in input.actor) {
            const staff = await mustGet(ctx.tx, staffCollection, input.actor.staffId, 'staff', {
              path: ['actor', 'staffId'],
            });
            if (!staff.active)
              throw new InvalidStateError(`staff member ${staff.id} is deactivated`, {
                reason: 'staff_inactive',
                path: ['actor', 'staffId'],
              });
          }
          const row = await ctx.tx.insert(apiKeysCollection, {
            id: input.id,
            name: input.name,
            secretHash: input.secretHash,
            actor: input.actor,
            permissions: input.permissions ?? null,
            createdAt: ctx.now,
            revokedAt: null,
            lastUsedAt: null,
          });
          ctx.audit({ type: 'api-key', id: row.id }, { permissions: row.permissions });
          return toApiKey(row);
        },
      });

      const revoke = kernel.command({
        name: 'api-keys.revoke',
        input: revokeApiKeySchema,
        permission: 'api-keys.manage',
        idempotency: 'optional',
        async run(ctx, input) {
          const row = await mustGet(ctx.tx, apiKeysCollection, input.keyId, 'API key', { path: ['keyId'] });
          if (row.revokedAt)
            throw new InvalidStateError(`API key ${row.id} is already revoked`, {
              reason: 'already_revoked',
              path: ['keyId'],
            });
          const updated = await ctx.tx.update(apiKeysCollection, row.id, { revokedAt: ctx.now });
          // Refused at once by this process; other processes read the key again within `KEY_TTL_MS`.
          accepted.delete(row.id);
          ctx.audit({ type: 'api-key', id: row.id });
          return toApiKey(updated);
        },
      });

      /**
       * Makes a key. The secret is drawn here, outside the command, so that only its hash reaches the
       * store (and the audit log); for the same reason no idempotency key is taken: a stored result
       * would have to hold the secret to answer a retry.
       */
      async function create(input: z.input<typeof createApiKeySchema>, options: CommandOptions): Promise<NewApiKey> {
        const q = parseInput(createApiKeySchema, input);
        if (typeof options === 'object' && options !== null && 'idempotencyKey' in options)
          throw invalid(
            ['options', 'idempotencyKey'],
            'not_accepted',
            'making a key takes no idempotency key: a retry makes a second key, revoke the one not used',
          );
        const id = kernel.ids.next('key');
        const secret = base64url(randomBytes(32));
        const key = await createCommand({ ...q, id, secretHash: await hashSecret(secret) }, options as CommandOptions);
        return { key, token: `${id}.${secret}` };
      }

      const list = kernel.query({
        name: 'apiKeys.list',
        permission: 'api-keys.manage',
        async run(input: z.input<typeof listSchema> = {}): Promise<{ items: ApiKey[]; next: string | null }> {
          const q = parseInput(listSchema, input);
          const page = await kernel.store.find(apiKeysCollection, {
            where: q.includeRevoked ? {} : { revokedAt: { isNull: true } },
            limit: q.limit,
            after: q.after ?? null,
          });
          return { items: page.rows.map(toApiKey), next: page.next };
        },
      });

      const get = kernel.query({
        name: 'apiKeys.get',
        permission: 'api-keys.manage',
        async run(keyId: string): Promise<ApiKey> {
          const id = parseInput(idSchema, keyId, ['keyId']);
          const row = await kernel.store.get(apiKeysCollection, id);
          if (!row) throw new NotFoundError('API key', id, { path: ['keyId'] });
          return toApiKey(row);
        },
      });

      /**
       * Checks a token as a caller sent it: the key it names, its secret, and that it is not revoked.
       * Records the key's last use (at most once a minute). Used by `clienteleApi`; never throws for a
       * wrong token.
       */
      async function check(token: string): Promise<KeyCheck> {
        const m = typeof token === 'string' ? TOKEN.exec(token) : null;
        if (!m) return { ok: false, reason: 'malformed_key', keyId: null };
        const [, id, secret] = m as unknown as [string, string, string];
        const hash = await hashSecret(secret);
        const known = accepted.get(id);
        let row: RowOf<typeof apiKeysCollection> | undefined;
        if (known && known.until > performance.now() && sameDigest(known.row.secretHash, hash)) row = known.row;
        else {
          row = await kernel.store.get(apiKeysCollection, id);
          // The hash was taken whether or not the key exists, so a guess costs the same either way.
          if (!row || !sameDigest(row.secretHash, hash)) return { ok: false, reason: 'unknown_key', keyId: id };
          if (row.revokedAt) return { ok: false, reason: 'revoked_key', keyId: id };
          if (accepted.size > 10_000) accepted.clear();
          accepted.set(id, { row, until: performance.now() + KEY_TTL_MS });
        }
        const now = kernel.clock.now();
        if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USE_EVERY_MS) {
          // Bookkeeping, not a change of the key: a failure to write it must not refuse the caller.
          await kernel.store.update(apiKeysCollection, id, { lastUsedAt: now }).catch(() => undefined);
          row.lastUsedAt = now;
        }
        return { ok: true, key: toApiKey(row) };
      }

      return {
        api: {
          /** Makes a key for a member of staff or a named system; returns it with its token, shown once. */
          create,
          /** Revokes a key: requests made with it are refused from now on. */
          revoke,
          /** The keys, oldest first (revoked ones with `includeRevoked`). */
          list,
          /** One key. */
          get,
          /** @internal checks a caller's token; `clienteleApi` calls it on every request */
          check,
        },
      };
    },
  });
}

/** The API of `crm.apiKeys`. */
export type ApiKeysApi = ReturnType<ReturnType<typeof apiKeys>['setup']>['api'];
