import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { buildSync, type Plugin as EsbuildPlugin } from 'esbuild';
import type { Plugin as VitePlugin } from 'vite';

/*
 * The dashboard's script and stylesheet are source files of their own (typed, linted), inlined into
 * the package as strings: `import script from './app.ts?inline-script'` gives the script compiled
 * for the browser, `import css from './style.css?inline-text'` the file's text. The build (esbuild,
 * through tsup) and the tests (vite, through vitest) resolve these imports the same way.
 */

const pattern = /\?inline-(script|text)$/;

/** The string an inline import stands for. */
function inlined(file: string, kind: string): string {
  if (kind === 'text') return readFileSync(file, 'utf8');
  // The script and the modules it imports, bundled into one block for the page.
  const { outputFiles } = buildSync({ entryPoints: [file], bundle: true, write: false, format: 'iife', target: 'es2020', legalComments: 'none' });
  return outputFiles[0]!.text;
}

/** For tsup's esbuild. */
export function inlineAssetsEsbuild(): EsbuildPlugin {
  return {
    name: 'inline-assets',
    setup(build) {
      build.onResolve({ filter: pattern }, (args) => ({ path: resolve(args.resolveDir, args.path), namespace: 'inline-assets' }));
      build.onLoad({ filter: /.*/, namespace: 'inline-assets' }, (args) => {
        const [, kind] = pattern.exec(args.path)!;
        const file = args.path.replace(pattern, '');
        return { contents: `export default ${JSON.stringify(inlined(file, kind!))};`, loader: 'js', watchFiles: [file] };
      });
    },
  };
}

/** For vitest's vite. */
export function inlineAssetsVite(): VitePlugin {
  return {
    name: 'inline-assets',
    enforce: 'pre',
    resolveId(id, importer) {
      if (!pattern.test(id) || !importer) return undefined;
      return `\0inline-assets:${resolve(dirname(importer), id)}`;
    },
    load(id) {
      if (!id.startsWith('\0inline-assets:')) return undefined;
      const path = id.slice('\0inline-assets:'.length);
      const [, kind] = pattern.exec(path)!;
      return `export default ${JSON.stringify(inlined(path.replace(pattern, ''), kind!))};`;
    },
  };
}
