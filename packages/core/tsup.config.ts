import { defineConfig } from 'tsup';

export default defineConfig({
  // The application's entry and the two for adapter and module authors.
  entry: ['src/index.ts', 'src/adapter.ts', 'src/module.ts'],
  format: ['esm', 'cjs'],
  // Shared code goes to chunks in both formats, so an error class is one class whichever entry it came from.
  splitting: true,
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
});
