import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openStore } from '../src/open.js';
import { tempDir } from './support.js';

const temp = tempDir();
afterAll(() => temp.remove());

/** Opens a SQLite store the way a command does and reads its writing connection's settings back. */
async function settingsOf(file: string, bulkWrite: boolean) {
  const pragma = vi.spyOn(Database.prototype, 'pragma');
  const store = await openStore({ kind: 'sqlite', file }, { bulkWrite });
  const writer = [...new Set(pragma.mock.contexts as Database.Database[])].find((c) => !c.readonly)!;
  pragma.mockRestore();
  const settings = {
    mmap: writer.pragma('mmap_size', { simple: true }),
    temp: writer.pragma('temp_store', { simple: true }),
  };
  await store.close();
  return settings;
}

describe('opening a SQLite store for a command', () => {
  it('maps the file and spills temporary data to files by default', async () => {
    expect(await settingsOf(join(temp.dir, 'default.db'), false)).toEqual({ mmap: 256 * 1024 * 1024, temp: 0 });
  });

  it('for a bulk write (an import), maps nothing and keeps temporary data in memory', async () => {
    expect(await settingsOf(join(temp.dir, 'bulk.db'), true)).toEqual({ mmap: 0, temp: 2 });
  });
});
