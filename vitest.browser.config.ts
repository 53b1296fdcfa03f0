import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';

/**
 * The kernel test suite inside Chromium's WebGPU (SwiftShader), a second WebGPU implementation
 * next to Dawn-on-lavapipe in Node. `npm run test:browser`.
 *
 * Every test/*.test.ts runs here except what needs Node APIs, excluded by name below.
 */
/** Test files that need Node APIs. */
const NODE_ONLY_FILES: string[] = [
  'model.test.ts', // node:fs, node:os, node:path (save/load to files)
  'node-polling.test.ts', // Dawn's Node binding; /proc
  'messages.test.ts', // node:util (how Node's console prints tensors and errors)
  'package.test.ts', // npm pack / install, tsc and node in a temporary project
  'optimizers.test.ts', // node:fs, node:os, node:path (optimizer state saved to files)
  'training-semantics.test.ts', // node:fs (the generated ids file is current)
];
/** Single tests that need Node APIs (exact test names). */
const NODE_ONLY_TESTS: string[] = [];
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export default defineConfig({
  // Tests read optional flags from process.env (e.g. ACT_REPORT); there is no process in a page.
  define: { 'process.env': '{}' },
  test: {
    include: ['test/*.test.ts'],
    exclude: NODE_ONLY_FILES.map((f) => `test/${f}`),
    ...(NODE_ONLY_TESTS.length > 0 ? { testNamePattern: new RegExp(`^(?!.*(?:${NODE_ONLY_TESTS.map(escape).join('|')})$)`) } : {}),
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // SwiftShader runs on the CPU (2 cores shared): one test file at a time.
    fileParallelism: false,
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false,
      provider: playwright({
        launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 },
      }),
      instances: [{ browser: 'chromium' }],
    },
  },
});
