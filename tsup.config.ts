import { defineConfig } from 'tsup';
import { inlineAssetsEsbuild } from './build/inline-assets.js';

export default defineConfig([
  {
    entry: { index: 'src/index.ts', job: 'src/job.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    target: 'node20',
    platform: 'node',
    splitting: true,
    sourcemap: true,
    esbuildPlugins: [inlineAssetsEsbuild()],
  },
  {
    entry: { cli: 'cli/bin.ts' },
    format: ['esm'],
    esbuildPlugins: [inlineAssetsEsbuild()],
    target: 'node20',
    platform: 'node',
    sourcemap: true,
  },
]);
