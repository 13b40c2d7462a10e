import { defineConfig } from 'tsup';

export default defineConfig({
  // The import's reading thread is a script of its own, beside the bundles that start it.
  entry: { index: 'src/index.ts', bin: 'src/bin.ts', 'read-worker': 'src/import/read-worker.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  sourcemap: true,
  shims: true,
  target: 'es2022',
  platform: 'node',
});
