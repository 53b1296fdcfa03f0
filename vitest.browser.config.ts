import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';

/**
 * The kernel test suite inside Chromium's WebGPU (SwiftShader), a second WebGPU implementation
 * next to Dawn-on-lavapipe in Node. `npm run test:browser`.
 *
 * Every test/*.test.ts runs here except the ones listed in NODE_ONLY, which need Node APIs
 * (fs, child_process, Dawn's `create()`) or measure Node-specific behaviour.
 */
const NODE_ONLY: string[] = [];

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
  test: {
    include: ['test/*.test.ts'],
    exclude: NODE_ONLY.map((f) => `test/${f}`),
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
