/**
 * Runs in a separate OS process: waits until `startAt` (epoch ms, so that several start together),
 * migrates the schema, and prints the migration result as JSON.
 */
import { postgresStore } from '@clientele/postgres';
import { migrations } from '../fixtures.js';

const [url, schema, startAt] = process.argv.slice(2) as [string, string, string];
const store = postgresStore({ connectionString: url, schema, poolSize: 1 });
try {
  const wait = Number(startAt) - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  process.stdout.write(JSON.stringify(await store.migrate(migrations)));
} finally {
  await store.close();
}
