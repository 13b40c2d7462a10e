/** The `--store` URL: which database, and where. */
import { UsageError } from './failure.js';

/** A parsed store URL. */
export type StoreLocation =
  | { kind: 'sqlite'; file: string }
  | { kind: 'postgres'; connectionString: string; schema?: string }
  | { kind: 'mysql'; url: string };

/**
 * Reads a store URL: `sqlite:crm.db` (a file path after the colon; `sqlite::memory:` is refused, an
 * import into memory would be lost), `postgres://user@host:5432/db` (optionally `?schema=name`),
 * `mysql://user@host:3306/db`.
 */
export function parseStoreUrl(url: string): StoreLocation {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!file || file === ':memory:') throw new UsageError(`store ${url}: name a database file, e.g. sqlite:crm.db`);
    return { kind: 'sqlite', file };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const parsed = new URL(url);
    const schema = parsed.searchParams.get('schema');
    parsed.searchParams.delete('schema');
    return { kind: 'postgres', connectionString: parsed.toString(), ...(schema ? { schema } : {}) };
  }
  if (/^(mysql|mariadb):\/\//.test(url)) return { kind: 'mysql', url };
  throw new UsageError(`store ${url}: give sqlite:<file>, postgres://... or mysql://...`);
}

/** The URL with any password masked, for messages. */
export function maskUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
