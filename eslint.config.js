// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The lint gate (`npm run lint`, part of `npm test`): the recommended rules of ESLint and typescript-eslint, and no
 * import cycles. import-x/no-cycle sees runtime imports between files; scripts/check-cycles.mjs adds type-only
 * imports and cycles between feature and channel folders. Formatting is Prettier's (eslint-config-prettier
 * turns off the rules it owns).
 */
export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'migrations/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // `_name` marks what is left out on purpose (a destructured field dropped, a handler argument unused).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // A variable a closure reads before its first assignment stays `let` (fake servers' request records).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // A callback that must reach the object it was made in (the outbox's wake-up) names it `self`.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self'] }],
    },
  },
  prettier,
);
