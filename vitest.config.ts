import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: integration tests start emulators; keep parallelism modest.
    maxWorkers: 2,
    allowOnly: false,
  },
});
