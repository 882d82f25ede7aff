// Lint rules that keep the layers apart and promises handled. Formatting is Prettier's (npm run format).
import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Layers and what each may import (docs/ARCHITECTURE.md). In flat config a later block's
// no-restricted-imports replaces an earlier one's for the same file, so each source file is in
// exactly one of the blocks `layers` makes; test/unit/layers.test.ts holds every file to its layer.
// A new layer (such as a folder of session kinds) is one more entry, and the entries it takes files
// from list them in `ignores`.

/** `vscode` in modules that run without the editor: types only (`import type`), which the build erases. */
const vscodeTypesOnly = {
  name: 'vscode',
  allowTypeImports: true,
  message: 'This module runs without the editor: import only types from vscode; the editor integration passes in what it needs.',
};

const engineOutward = {
  group: ['**/views/**', '**/commands/**', '**/editor/**', '**/terminal/**', '**/extension'],
  message: 'The engine never depends on views, commands, the terminal or the editor integration.',
};
const viewsReadTheModel = {
  group: ['**/session/storage/**', '**/session/net/**', '**/session/kinds/**', '**/session/engine', '**/session/provider'],
  message: "Views and commands read the engine's model; they never touch tokens, storage or the protocol.",
};
const notTheWiring = {
  group: ['**/extension'],
  message: 'Only extension.ts wires the parts together; nothing imports it.',
};

/** Pure views and commands: their tests run them in Node, without the editor. */
const PURE_VIEWS = [
  'src/views/countdown.ts',
  'src/views/healthText.ts',
  'src/views/statusText.ts',
  'src/views/treeModel.ts',
  'src/views/clock.ts',
  'src/views/duration.ts',
  'src/commands/providerEntry.ts',
];
/** The editor integration's words, tested in Node. */
const PURE_EDITOR = ['src/editor/notices.ts'];

/** The kinds of session, one folder each under src/session/kinds/. */
const KINDS = readdirSync(new URL('./src/session/kinds/', import.meta.url));

const layers = [
  {
    files: ['src/session/base/**/*.ts'],
    patterns: [{ group: ['../**'], message: 'base imports nothing of ours outside base.' }],
  },
  {
    files: ['src/session/net/**/*.ts'],
    patterns: [{ group: ['../*', '!../base', '../../**'], message: 'net (HTTP and proxies) imports base only.' }],
  },
  // Each kind of session is a layer: it may use the engine's seams, never another kind.
  ...KINDS.map((kind) => ({
    files: [`src/session/kinds/${kind}/**/*.ts`],
    patterns: [
      engineOutward,
      {
        // Relative specifiers do not name `kinds/`, so each depth is listed.
        group: KINDS.filter((k) => k !== kind).flatMap((k) => [
          `**/kinds/${k}`,
          `**/kinds/${k}/**`,
          `../${k}`,
          `../${k}/**`,
          `../../${k}`,
          `../../${k}/**`,
        ]),
        message: 'A kind never imports another kind; what both need goes to session/base or session/host.ts.',
      },
    ],
  })),
  {
    // A folder of the engine that becomes its own layer goes in `ignores` here.
    files: ['src/session/**/*.ts'],
    ignores: ['src/session/base/**', 'src/session/net/**', 'src/session/kinds/**'],
    patterns: [engineOutward],
  },
  {
    files: ['src/views/**/*.ts', 'src/commands/**/*.ts'],
    patterns: [
      viewsReadTheModel,
      { group: ['**/editor/**', '**/extension'], message: 'Views and commands reach the editor through vscode only.' },
    ],
    vscode: true,
    pure: PURE_VIEWS,
  },
  {
    files: ['src/editor/**/*.ts'],
    patterns: [
      {
        group: ['**/views/**', '**/commands/**', '**/terminal/**'],
        message: 'The editor integration serves the engine; views, commands and the terminal are wired in extension.ts.',
      },
      notTheWiring,
    ],
    vscode: true,
    pure: PURE_EDITOR,
  },
  {
    // The terminal command runs outside the editor; the server is wired in extension.ts.
    files: ['src/terminal/**/*.ts'],
    patterns: [
      {
        // Not `**/session/**`: a file whose folder a pattern matched cannot be let in again by a `!`.
        group: ['**/session/*', '!**/session/base'],
        allowTypeImports: true,
        message: "The terminal uses base and the engine's types only.",
      },
      {
        group: ['**/views/**', '**/commands/**', '**/editor/**'],
        message: 'The terminal never depends on views, commands or the editor integration.',
      },
      notTheWiring,
    ],
  },
  {
    files: ['src/contributions.ts'],
    patterns: [{ group: ['./**', '../**'], message: 'contributions.ts holds ids and imports nothing of ours.' }],
  },
  // src/extension.ts wires everything and is in no layer.
];

/** @returns {import('eslint').Linter.Config} */
const restrict = (files, ignores, patterns, paths) => ({
  files,
  ignores,
  rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths, patterns }] },
});

/** One block per layer; a layer that may use `vscode` gets a second block for its `pure` files, which import its types only. */
const layerBlocks = layers.flatMap(({ files, ignores = [], patterns, vscode = false, pure = [] }) =>
  vscode
    ? [restrict(files, [...ignores, ...pure], patterns, []), ...(pure.length ? [restrict(pure, [], patterns, [vscodeTypesOnly])] : [])]
    : [restrict(files, ignores, patterns, [vscodeTypesOnly])],
);

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
  ...layerBlocks,
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
