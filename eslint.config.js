// Lint rules from STYLE.md: no `any`, no non-null `!`, `import type` for types, no floating promises;
// and the size budgets of issue 19 (files, functions, complexity) below.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const BUDGETS = {
  'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
  'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
  complexity: ['error', 15],
};

// Files over budget while being split: { file, rules } each, its limit the file's current maximum
// (e.g. { 'max-lines-per-function': ['error', { max: 101, skipBlankLines: true, skipComments: true }] }).
// None left (December 2026).
const BUDGET_EXCEPTIONS = [];

export default tseslint.config(
  { ignores: ['dist/', '.tools/', 'node_modules/', 'coverage/', 'test-artifacts/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'e2e/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  // Budgets (issue 19): a file stays under 400 lines, a function under 80 lines and complexity 15;
  // past that, split it into named steps. Blank lines and comments do not count, so a why-comment
  // never has to go to make room.
  {
    files: ['src/**/*.ts', 'storage/**/*.ts'],
    rules: BUDGETS,
  },
  // The simulator and fake apiserver (tools/, formerly src/sim): dev tools, not the product.
  // Their request routers and controller sync loops mirror the real ones' long switches, so
  // complexity may reach 30 (28 today); file and function lengths hold as in src.
  {
    files: ['src/sim/**/*.ts', 'tools/**/*.ts'],
    rules: { ...BUDGETS, complexity: ['error', 30] },
  },
  // Tests: a describe or it callback holds its whole scenario (setup, steps, assertions), so its
  // length says nothing about the code's shape — no function length limit. Optional chains and
  // `??` in assertions count as branches, so complexity may reach 30. Files stay under 400 lines.
  {
    files: ['test/**/*.ts', 'e2e/**/*.ts'],
    rules: { ...BUDGETS, 'max-lines-per-function': 'off', complexity: ['error', 30] },
  },
  // Files still over budget while another helper works in them (December 2026). Each limit is the
  // file's current maximum, so it cannot grow; the comment names what to split. Remove an entry
  // once its file meets the budget.
  ...BUDGET_EXCEPTIONS.map(({ file, rules }) => ({ files: [file], rules })),
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
