import { defineConfig } from 'vitest/config';
import { inlineAssetsVite } from './build/inline-assets.js';

export default defineConfig({
  // The dashboard's script and stylesheet are imported as strings, as the build inlines them.
  plugins: [inlineAssetsVite()],
  test: {
    include: ['test/**/*.test.ts'],
    // Installs system packages once and gives the suite a home of its own (see the file).
    globalSetup: ['test/global-setup.ts'],
    // Each worker's own GPU lock folder (see the file).
    setupFiles: ['test/worker-setup.ts'],
    // Tests start real processes; on a 2-core machine a little slack avoids flaky timeouts.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
