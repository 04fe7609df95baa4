import { defineConfig } from 'tsup';

export default defineConfig({
  // The stream-thread worker is its own file, so `new Worker(new URL('./stream-thread-worker.js', import.meta.url))` finds it in dist/.
  entry: { index: 'src/index.ts', http: 'src/http/index.ts', platformatic: 'src/platformatic.ts', 'stream-thread-worker': 'src/internal/stream-thread-worker.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  // import.meta.url in the CommonJS build, where the thread pool locates the worker.
  shims: true,
  target: 'node20',
  splitting: true,
  treeshake: true,
});
