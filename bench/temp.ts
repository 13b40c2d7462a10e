/** Temporary directories for the benchmarks' databases, removed afterwards even when a run is interrupted. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const live = new Set<string>();

/** A fresh directory under the system's temporary directory. */
export function makeTempDir(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `clientele-bench-${label}-`));
  live.add(dir);
  return dir;
}

/** Removes a directory made by {@link makeTempDir}. */
export function removeTempDir(dir: string): void {
  live.delete(dir);
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Removes every directory still around (on exit or Ctrl-C): a 1M-row database is too big to leave behind. */
export function removeAllTempDirs(): void {
  for (const dir of [...live]) removeTempDir(dir);
}
