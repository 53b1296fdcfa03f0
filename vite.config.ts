import { defineConfig } from 'vitest/config';

// One config for the library build (dist/), the demo pages (demo/) and the tests.
export default defineConfig({
  build: {
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: 'index' },
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // A library: readable in a debugger and in stack traces, with maps back to src/ (sources
    // inlined), and classes keep their names (console.log shows Tensor, errors NNError).
    minify: false,
    sourcemap: true,
    rolldownOptions: { external: ['webgpu', /^node:/], output: { keepNames: true } },
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One GPU device per worker; lavapipe uses the CPU, so keep concurrency low.
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
  },
});
