/** Migrations under the advisory lock: processes migrating one schema at once apply each migration exactly once. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defineCollection, field } from '@clientele/core/module';
import { postgresStore } from '@clientele/postgres';
import { migrations } from './fixtures.js';
import { PG_URL, serverPool, withServer } from './server.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MIGRATOR = fileURLToPath(new URL('./processes/migrator.ts', import.meta.url));

function migrator(schema: string, startAt: number): Promise<{ applied: string[]; skipped: string[] }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@clientele/source', MIGRATOR, PG_URL, schema, String(startAt)],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (code !== 0) reject(new Error(`migrator exited with ${code}: ${err}`));
      else {
        try {
          resolve(JSON.parse(out));
        } catch {
          reject(new Error(`migrator printed no JSON: ${out} ${err}`));
        }
      }
    });
  });
}

withServer(() => {
  const server = serverPool();

  describe('several processes migrating one schema', () => {
    it('creates the schema and applies each migration exactly once between them', async () => {
      const schema = server.schema('mig');
      // Far enough ahead for three processes to load on a busy machine, so they start together.
      const startAt = Date.now() + 3000;
      const results = await Promise.all([
        migrator(schema, startAt),
        migrator(schema, startAt),
        migrator(schema, startAt),
      ]);
      const ids = migrations.map((m) => m.id);
      expect(results.flatMap((r) => r.applied)).toEqual(ids);
      for (const r of results) expect([...r.applied, ...r.skipped]).toEqual(ids);
      const recorded = await server.pool.query(`SELECT id FROM "${schema}".clientele_migrations ORDER BY id`);
      expect(recorded.rows).toEqual(ids.map((id) => ({ id })));
      const store = postgresStore({ pool: server.pool, schema });
      expect(await store.migrate(migrations)).toEqual({ applied: [], skipped: ids });
    }, 40_000);
  });

  describe('a collection rewritten in bulk', () => {
    it('gets an autovacuum that runs after a nightly rewrite of 2% of its rows', async () => {
      const schema = server.schema('bulk');
      const nightly = defineCollection({
        name: 'nightly_figures',
        primaryKey: 'id',
        fields: { id: field.string(), figure: field.integer() },
        rewrittenInBulk: true,
      });
      const store = postgresStore({ pool: server.pool, schema });
      await store.migrate([
        ...migrations,
        { id: 'nightly-1', steps: [{ op: 'createCollection', collection: nightly }] },
      ]);
      const { rows } = await server.pool.query<{ relname: string; reloptions: string[] | null }>(
        `SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname IN ('nightly_figures', 'accounts')`,
        [schema],
      );
      const options = Object.fromEntries(rows.map((r) => [r.relname, r.reloptions]));
      expect(options['nightly_figures']).toEqual([
        'autovacuum_vacuum_scale_factor=0.02',
        'autovacuum_analyze_scale_factor=0.02',
      ]);
      expect(options['accounts']).toBeNull();
    });
  });
});
