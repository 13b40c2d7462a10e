import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

const conditions = ['@clientele/source'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    // Most test files wait on databases and child processes rather than compute: at least two at once,
    // also on a two-core machine (where vitest's default, cores less one, runs them one by one).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      { extends: true, test: { name: 'core', include: ['packages/core/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'sql', include: ['packages/sql/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'sqlite', include: ['packages/sqlite/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'testkit', include: ['packages/testkit/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'postgres', include: ['packages/postgres/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'mysql', include: ['packages/mysql/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'loyalty', include: ['packages/loyalty/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'complaints', include: ['packages/complaints/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'segments', include: ['packages/segments/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'http', include: ['packages/http/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'till', include: ['packages/till/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'cli', include: ['packages/cli/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'scenarios', include: ['tests/**/*.test.ts', 'examples/*/test/**/*.test.ts'] } },
    ],
  },
});
