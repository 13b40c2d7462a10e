/** Opens the store a `--store` URL names and wires Clientele on it with the host's configuration. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClientele, type AnyModule, type Clientele, type ClienteleOptions, type Store } from '@clientele/core';
import { UsageError } from './failure.js';
import { parseStoreUrl, type StoreLocation } from './store-url.js';

/** What a configuration file exports: `createClientele`'s options without the store. */
export type CliConfig = Omit<ClienteleOptions<readonly AnyModule[]>, 'store'>;

/** Where the configuration is looked for when `--config` is not given. */
export const DEFAULT_CONFIG_FILES = ['clientele.config.mjs', 'clientele.config.js'];

/**
 * Loads the host's configuration: a JavaScript module whose default export is the options of
 * `createClientele` without `store` (modules, currency, customer attributes), or a function returning them.
 * Without one, Clientele runs with core only.
 */
export async function loadConfig(file: string | undefined): Promise<{ config: CliConfig; file: string | null }> {
  const path = file ?? DEFAULT_CONFIG_FILES.map((f) => resolve(f)).find((f) => existsSync(f));
  if (!path) return { config: {}, file: null };
  if (!existsSync(path)) throw new UsageError(`config ${path} does not exist`);
  const loaded = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown };
  const value = typeof loaded.default === 'function' ? await (loaded.default as () => unknown)() : loaded.default;
  if (typeof value !== 'object' || value === null)
    throw new UsageError(`config ${path}: the default export must be Clientele's options (without store)`);
  return { config: value as CliConfig, file: path };
}

/** How a command uses the store, where that changes how it is opened. */
export interface OpenOptions {
  /**
   * The command mostly writes (an import): a SQLite file is not mapped into memory, since it reads
   * back few pages and the mapped ones would count in its memory (a 1,000,000-member import peaked at
   * 246 MiB unmapped against 277 MiB mapped, in the same time), and its temporary data is kept in
   * memory (the journal of each multi-row insert, a temporary file per batch otherwise).
   */
  bulkWrite?: boolean;
}

/** Opens the store at `location`; adapters are loaded only when used. */
export async function openStore(location: StoreLocation, options: OpenOptions = {}): Promise<Store> {
  switch (location.kind) {
    case 'sqlite': {
      const { sqliteStore } = await import('@clientele/sqlite');
      return sqliteStore({
        file: location.file,
        ...(options.bulkWrite ? { mmapBytes: 0, tempStore: 'memory' as const } : {}),
      });
    }
    case 'postgres': {
      const { postgresStore } = await import('@clientele/postgres');
      return postgresStore({
        connectionString: location.connectionString,
        ...(location.schema ? { schema: location.schema } : {}),
      });
    }
    case 'mysql': {
      // The MySQL adapter is optional and may not be installed: load it by a name the bundler leaves alone.
      const name = '@clientele/mysql';
      const mod = (await import(name).catch(() => {
        throw new UsageError('store mysql://...: install @clientele/mysql to use MySQL or MariaDB');
      })) as { mysqlStore(options: { uri: string }): Store };
      return mod.mysqlStore({ uri: location.url });
    }
  }
}

/** Global options every command takes. */
export interface GlobalOptions {
  store?: string;
  config?: string;
}

/** A Clientele instance on the `--store` URL (or `CLIENTELE_STORE`), configured by `--config`. */
export async function openClientele(
  options: GlobalOptions,
  open: OpenOptions = {},
): Promise<{ crm: Clientele<AnyModule[]>; config: CliConfig }> {
  const url = options.store ?? process.env['CLIENTELE_STORE'];
  if (!url) throw new UsageError('no store: pass --store <url> or set CLIENTELE_STORE');
  const { config } = await loadConfig(options.config ?? process.env['CLIENTELE_CONFIG']);
  const store = await openStore(parseStoreUrl(url), open);
  const crm = createClientele({ ...config, store }) as unknown as Clientele<AnyModule[]>;
  return { crm, config };
}
