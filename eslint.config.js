// The repository's lint rules (ESLint 9 flat config, typescript-eslint with type information).
// `pnpm lint` runs this and knip (unused exports, knip.json); `pnpm test` runs `pnpm lint` right
// after the build. DEVELOPERS.md ("Lint") says what each rule is for and how to allow an exception.
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** Files the type-aware rules read: every tsconfig.json of the repository compiles them (or `allowDefaultProject` below). */
const typeScriptFiles = ['**/*.ts'];
const javaScriptFiles = ['**/*.js', '**/*.mjs'];

export default tseslint.config(
  {
    ignores: ['**/dist/**', 'docs/api/**', '**/node_modules/**', '.scratch/**', '**/.scratch/**', 'conformance/java/**', 'benchmarks/java/**/target/**'],
  },
  {
    files: [...typeScriptFiles, ...javaScriptFiles],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/external-module-folders': ['node_modules', 'node_modules/@types'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: ['tsconfig.json'], alwaysTryTypes: true })],
    },
    rules: {
      // A cycle between modules makes their load order decide which of them sees `undefined`;
      // `import type` is erased at compile time, so only imports of values count.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: typeScriptFiles,
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        projectService: {
          // Build configuration files that no tsconfig.json includes.
          allowDefaultProject: ['vitest.config.ts', 'packages/*/tsup.config.ts'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // An inner binding that hides an outer one of the same name invites using the wrong one.
      '@typescript-eslint/no-shadow': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // `import { type A }` still loads the module under verbatimModuleSyntax; `import type { A }` does not.
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/consistent-type-exports': ['error', { fixMixedExportsWithInlineTypeSpecifier: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // The JavaScript fixtures and tools: no tsconfig.json compiles them, so no type-aware rules.
    files: javaScriptFiles,
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
    },
    rules: {
      'no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
);
