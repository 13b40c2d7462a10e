/**
 * Fails when a tracked source file has a line longer than 120 characters, naming each as file:line.
 * Biome formats to that width but leaves long strings, template literals and comments alone, and it
 * does not read package.json files or .mjs/.mts files; this check covers what it leaves.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MAX = 120;
const PATTERNS = ['*.ts', '*.mts', '*.js', '*.mjs', '*.json', '*.jsonc'];
/** Files written by tools, not by hand. */
const EXCLUDED = new Set(['bench/results.json', 'package-lock.json']);

const root = fileURLToPath(new URL('..', import.meta.url));
const files = execFileSync('git', ['ls-files', '-z', '--', ...PATTERNS], { cwd: root, encoding: 'utf8' })
  .split('\0')
  .filter((file) => file !== '' && !EXCLUDED.has(file));

const long = [];
for (const file of files) {
  // A file deleted in the working tree but still in the index has nothing to check.
  let text;
  try {
    text = readFileSync(`${root}${file}`, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') continue;
    throw error;
  }
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.length > MAX) long.push(`${file}:${i + 1} (${line.length} characters)`);
  });
}

if (long.length > 0) {
  console.error(`${long.length} line(s) longer than ${MAX} characters:\n${long.join('\n')}`);
  process.exit(1);
}
