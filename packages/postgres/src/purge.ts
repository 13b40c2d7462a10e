/**
 * Purging what an erasure leaves behind on PostgreSQL. An `UPDATE` writes a new row version and
 * leaves the old one, erased values and all, in the table's file until a vacuum; a plain `VACUUM`
 * marks its space reusable but does not overwrite it, and index entries and planner statistics keep
 * their own copies. `VACUUM (FULL, ANALYZE)` writes each table and its indexes anew, live rows only,
 * and replaces the statistics; `CHECKPOINT` then lets the server unlink the old files and recycle the
 * log segments written before it sooner.
 */
import { InvalidStateError, ValidationError } from '@clientele/core/adapter';
import type { ValidationIssue } from '@clientele/core/adapter';
import { tableName } from '@clientele/sql';
import type { Dialect } from '@clientele/sql';
import type { Connection } from './driver.js';

/** Options of {@link PostgresStore.purgeErased}. */
export interface PurgeOptions {
  /**
   * Only the tables of these collections (by name, e.g. `['customers', 'customer_history']`).
   * Default: every table in the store's schema.
   */
  collections?: readonly string[];
}

/** What {@link PostgresStore.purgeErased} did. */
export interface PurgeResult {
  /** The tables rewritten (names without the schema), in the order they were. */
  tables: string[];
  /** Whether `CHECKPOINT` ran. False when the role may not run it: see `checkpointRefused`. */
  checkpoint: boolean;
  /** The server's refusal of `CHECKPOINT` (a role needs superuser or `pg_checkpoint`), when it refused. */
  checkpointRefused?: string;
}

const TABLE = /^[a-z_][a-z0-9_]{0,62}$/;
/** PostgreSQL's "insufficient privilege". */
const INSUFFICIENT_PRIVILEGE = '42501';

/** Checks the options, naming each bad one by its path. */
export function checkPurgeOptions(options: unknown): PurgeOptions {
  if (options === undefined) return {};
  const issues: ValidationIssue[] = [];
  if (typeof options !== 'object' || options === null)
    throw new ValidationError([{ path: [], code: 'invalid_type', message: 'options must be an object' }]);
  for (const key of Object.keys(options))
    if (key !== 'collections')
      issues.push({ path: [key], code: 'unrecognized_keys', message: `unknown option ${key}` });
  const { collections } = options as PurgeOptions;
  if (collections !== undefined) {
    if (!Array.isArray(collections) || collections.length === 0)
      issues.push({
        path: ['collections'],
        code: 'invalid_option',
        message: 'collections must be a non-empty list of collection names',
      });
    else
      collections.forEach((c, i) => {
        if (typeof c !== 'string' || !TABLE.test(c))
          issues.push({
            path: ['collections', i],
            code: 'invalid_option',
            message: 'a collection name is lower case letters, digits and _',
          });
      });
  }
  if (issues.length) throw new ValidationError(issues);
  return options as PurgeOptions;
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The store's schema as SQL: the named one, else the connection's current schema. */
function schemaName(schema: string | undefined): string {
  return schema === undefined ? 'current_schema()' : literal(schema);
}

/** Each table's file number: `VACUUM FULL` gives a table it rewrote a new one. */
async function fileNodes(
  connection: Connection,
  schema: string | undefined,
  tables: readonly string[],
): Promise<Map<string, string>> {
  const { rows } = await connection.query(
    `SELECT c.relname AS name, pg_relation_filenode(c.oid)::text AS node
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ${schemaName(schema)} AND c.relkind = 'r' AND c.relname = ANY($1::text[])`,
    [tables],
  );
  return new Map(rows.map((r) => [r['name'] as string, r['node'] as string]));
}

/**
 * Rewrites the tables (`VACUUM (FULL, ANALYZE)`, one at a time, with no statement timeout), then runs
 * `CHECKPOINT` if the role may. Throws `VALIDATION_FAILED` for a collection with no table, and
 * `INVALID_STATE` when the server skipped a table (the role neither owns it nor may maintain it).
 */
export async function purgeTables(
  connection: Connection,
  dialect: Dialect,
  schema: string | undefined,
  options: PurgeOptions,
): Promise<PurgeResult> {
  const { rows } = await connection.query(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ${schemaName(schema)} AND c.relkind = 'r' ORDER BY c.relname`,
    [],
  );
  const present = rows.map((r) => r['name'] as string);
  let tables = present;
  if (options.collections) {
    const missing = options.collections.map((c, i) => [c, i] as const).filter(([c]) => !present.includes(c));
    if (missing.length) {
      throw new ValidationError(
        missing.map(([c, i]) => ({
          path: ['collections', i],
          code: 'invalid_option',
          message: `no table ${c} in the store's schema`,
        })),
      );
    }
    tables = [...new Set(options.collections)];
  }

  const before = await fileNodes(connection, schema, tables);
  // A rewrite of a large table outlasts any statement timeout meant for a till's queries.
  const timeout = (await connection.query('SHOW statement_timeout', [])).rows[0]?.['statement_timeout'];
  await connection.query('SET statement_timeout = 0', []);
  try {
    for (const t of tables) await connection.query(`VACUUM (FULL, ANALYZE) ${tableName(dialect, t)}`, []);
  } finally {
    if (typeof timeout === 'string')
      await connection.query(`SET statement_timeout = ${literal(timeout)}`, []).catch(() => undefined);
  }
  // VACUUM skips, with a mere warning, a table the role may not vacuum.
  const after = await fileNodes(connection, schema, tables);
  const skipped = tables.filter((t) => before.get(t) === after.get(t));
  if (skipped.length) {
    throw new InvalidStateError(
      `the server skipped ${skipped.join(', ')}: ` +
        `the role may not vacuum ${skipped.length === 1 ? 'that table' : 'those tables'} ` +
        `(run purgeErased as the tables' owner); old row versions there still hold erased values`,
      { skipped },
    );
  }

  try {
    await connection.query('CHECKPOINT', []);
    return { tables, checkpoint: true };
  } catch (error) {
    if ((error as { code?: unknown }).code !== INSUFFICIENT_PRIVILEGE) throw error;
    return { tables, checkpoint: false, checkpointRefused: (error as Error).message };
  }
}
