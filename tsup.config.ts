import { defineConfig } from 'tsup';
import { inlineAssetsEsbuild } from './build/inline-assets.js';

export default defineConfig([
  {
    entry: { index: 'src/index.ts', job: 'src/job.ts' },
    format: ['esm', 'cjs'],
    // The declarations name Node's types (Buffer, NodeJS.ProcessEnv): they say so, and @types/node is a
    // dependency, so a project whose tsconfig lists no types (as `tsc --init` makes it) compiles them.
    dts: { banner: '/// <reference types="node" />' },
    target: 'node20',
    platform: 'node',
    splitting: true,
    // import.meta.url in the CommonJS build too (the YAML library is loaded through it when first needed).
    shims: true,
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
