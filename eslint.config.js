// Lint rules for Sotto: typescript-eslint with type information, prettier owns formatting.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { readFileSync } from 'node:fs';

// The layering (layers.json): a file in one folder may import only the folders its layer `uses`.
// One `files` block per folder, each forbidding relative imports that reach any other folder.
const { layers } = JSON.parse(readFileSync(`${import.meta.dirname}/layers.json`, 'utf8'));
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const layerRules = Object.entries(layers).flatMap(([folder, { uses }]) => {
  const forbidden = Object.keys(layers).filter(
    (other) => other !== folder && !uses.includes(other),
  );
  if (forbidden.length === 0) return [];
  const names = forbidden.map((other) => escape(other.replace(/^src\//, '')));
  const allowed = uses.length > 0 ? uses.join(', ') : 'no other folder';
  return {
    files: [`${folder}/**/*.ts`, `${folder}/**/*.tsx`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // `../x/…`, `../../x/…` or `../../src/x/…`: the folder named right after the `..`s.
              regex: `^(\\.\\./)+(src/)?(${names.join('|')})(/|\\.js$)`,
              message: `${folder} may import only ${allowed} (layers.json, docs/ARCHITECTURE.md).`,
            },
          ],
        },
      ],
    },
  };
});

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'src/protocol/gen/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    ignores: ['src/cli/**'],
    rules: { 'no-console': 'error' },
  },
  ...layerRules,
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly' },
    },
  },
  prettier,
);
