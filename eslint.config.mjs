// Lint rules that keep the layers apart and promises handled. Formatting is Prettier's (npm run format).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Modules that must run without the editor: the engine, and the views' and commands' pure parts. */
const pure = [
  'src/session/**/*.ts',
  'src/contributions.ts',
  'src/views/countdown.ts',
  'src/views/healthText.ts',
  'src/views/statusText.ts',
  'src/views/treeModel.ts',
  'src/views/clock.ts',
  'src/commands/providerEntry.ts',
  'src/editor/notices.ts',
  // The terminal command and its channel: the command runs outside the editor, the server is wired in extension.ts.
  'src/terminal/**/*.ts',
];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', '.test-artifacts/**', 'media/**', 'l10n/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // The code passes library values through narrow interfaces on purpose; these rules fight that.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      eqeqeq: ['error', 'always'],
      // Sanitizers and their tests match control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    // The in-host suite registers test files by requiring them after mocha set up its globals; the
    // consumer test extension is plain CommonJS.
    files: ['test/vscode/suite/index.ts', 'test/vscode/consumer/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: pure,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'This module runs without the editor; the editor integration passes in what it needs.' }],
          patterns: [
            {
              group: ['**/views/*', '**/commands/*', '**/editor/*', '**/extension'],
              message: 'The engine never depends on views, commands or the editor integration.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/views/**/*.ts', 'src/commands/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/session/storage/*', '**/session/protocol/*', '**/session/flows/*'],
              message: "Views and commands read the engine's model; they never touch tokens, storage or the protocol.",
            },
          ],
        },
      ],
    },
  },
  {
    // VS Code renders [label](command:…) in notification text as a link that runs the command.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "CallExpression[callee.property.name=/^show(Information|Warning|Error)Message$/]:not([arguments.0.callee.name='plainText'])",
          message: "Notification text goes through plainText(text, 'notification') (src/session/base/plainText.ts).",
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { project: false, projectService: false },
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        fetch: 'readonly',
        AbortSignal: 'readonly',
        AbortController: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        Response: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        structuredClone: 'readonly',
        setImmediate: 'readonly',
        queueMicrotask: 'readonly',
        performance: 'readonly',
        window: 'readonly',
        document: 'readonly',
        URLSearchParams: 'readonly',
        describe: 'readonly',
        it: 'readonly',
        before: 'readonly',
        after: 'readonly',
        beforeEach: 'readonly',
        afterEach: 'readonly',
      },
    },
  },
);
