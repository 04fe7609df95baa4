import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The test kit (driver setup, store kinds, fixtures) by one name from any test file; tsconfig.json's `paths` says the same to tsc.
const testKit = { alias: { '#test-kit': fileURLToPath(new URL('./test/support/test-kit.ts', import.meta.url)) } };

export default defineConfig({
  test: {
    projects: [
      {
        resolve: testKit,
        test: {
          name: 'unit',
          // Property tests run hundreds of cases; on a loaded 2-core machine 5 s is too tight.
          testTimeout: 30_000,
          include: ['packages/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'benchmarks/src/**/*.test.ts', 'tools/typedoc/*.test.ts'],
          typecheck: {
            enabled: true,
            include: ['packages/*/src/**/*.test-d.ts', 'examples/*/src/**/*.test-d.ts'],
            tsconfig: './tsconfig.json',
          },
        },
      },
      {
        // The stateful DSL suites again, with every store the DSL creates on LevelDB (test/support/test-kit.ts).
        resolve: testKit,
        test: {
          name: 'unit-level',
          include: [
            'packages/streams/src/kstream/internal/ops/{stream-aggregate,window-aggregate,session-window-aggregate,sliding-window-aggregate,aggregation-caching,in-place-aggregation,suppress,suppress-durability,suppress-caching,suppress-buffer-size}.test.ts',
            'packages/streams/src/kstream/internal/ops/{table-source,to-table,to-stream,table-filter,table-map-values,table-repartition-map,table-aggregate,table-table-join,table-properties,stream-stream-join,stream-table-join,stream-global-table-join,foreign-key-join,stateful-bad-input}.test.ts',
            'packages/streams/src/kstream/internal/global-ktable-impl.test.ts',
            'packages/streams/src/state/store-properties.test.ts',
          ],
          env: { TRIBUTARY_TEST_STORES: 'level' },
          testTimeout: 30_000,
        },
      },
      {
        // The guides' and READMEs' code blocks, type-checked against the built packages and run
        // (test/docs/; DEVELOPERS.md, "Docs that run").
        test: {
          name: 'docs',
          include: ['test/docs/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The differential conformance suite: catalogue topologies over seeded inputs through Kafka
        // Streams 3.9's TopologyTestDriver (a JVM, built with Maven) and Tributary's (conformance/).
        test: {
          name: 'conformance',
          include: ['conformance/src/**/*.test.ts'],
          testTimeout: 900_000,
          hookTimeout: 900_000,
        },
      },
      {
        // Packs the published packages, installs them with npm into a temp project and compiles and
        // runs a consumer under each moduleResolution, ESM and CommonJS (test/consumer/).
        test: {
          name: 'consumer',
          include: ['test/consumer/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      {
        // The flagship's web dashboard in a real browser (Debian's chromium through playwright-core):
        // a project of its own, as it runs the built CLI and a browser, and is not run again on Node 24.
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
