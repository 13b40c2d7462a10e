/**
 * Runs publint on every published package: each directory under packages/ that has a package.json.
 * Every package is checked even after one fails, so one run names all of them; the exit code is 1
 * if any failed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const publint = fileURLToPath(new URL('../node_modules/.bin/publint', import.meta.url));

const packages = readdirSync(`${root}packages`, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(`${root}packages/${entry.name}/package.json`))
  .map((entry) => `packages/${entry.name}`)
  .sort();

const failed = [];
for (const dir of packages) {
  const run = spawnSync(publint, [dir], { cwd: root, stdio: 'inherit' });
  if (run.error) throw run.error;
  if (run.status !== 0) failed.push(dir);
}

if (failed.length > 0) {
  console.error(`publint failed for ${failed.join(', ')}`);
  process.exit(1);
}
