// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The lint gate (`npm run lint`, part of `npm test`): the recommended rules of ESLint and typescript-eslint.
 * Import cycles are scripts/check-cycles.mjs's (every import, between files and between feature and channel
 * folders). Formatting is Prettier's (eslint-config-prettier turns off the rules it owns).
 */
export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'migrations/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
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
