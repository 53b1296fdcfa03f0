import { defineConfig } from 'vitest/config';

/**
 * End-to-end tests of the demo site: `npm run test:e2e` builds demo-dist/ and runs these in
 * Node; each file serves demo-dist/ on 127.0.0.1 and drives /usr/bin/chromium with playwright-core.
 */
export default defineConfig({
  root: new URL('../..', import.meta.url).pathname,
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    testTimeout: 180_000,
    hookTimeout: 90_000,
    teardownTimeout: 30_000,
    // One browser at a time: SwiftShader and lavapipe share two CPU cores with everything else.
    fileParallelism: false,
    pool: 'forks',
    maxWorkers: 1,
  },
});
