// Bundles the CLI and the pool's worker from tsc's output in dist/. Node.js
// 20 loads an ES module graph at about 2 ms a module: `tree` loaded 58 of
// zotpack's and fast-glob's 30, a worker 28. Measured here: `zotpack tree` of
// one session 0.33-0.37 s -> 0.29-0.31 s; two workers ready in 138-152 ms
// instead of 185-203; the tree of the 2 GB bench corpus 1.43-1.62 s ->
// 1.34-1.49 s.
//
// The CLI is split at its dynamic imports (each command, and what only some
// runs need), so that `zotpack --version` or a usage error loads only what
// it uses: one file for all of it cost them 50 ms of parsing. The worker is
// one CommonJS file, which its entry require()s: an ES module made each
// thread load Node's ES module loader and the internal modules an ES
// namespace of `node:fs` pulls in (169 of Node's own modules against 143).
// Measured here: the bundle loaded in 15 ms instead of 22-25; the tree of
// the 2 GB bench corpus 1.33-1.41 s (median 1.37) -> 1.32-1.36 s (1.335),
// CPU 2.42 -> 2.33 s, 8 runs each, interleaved. The library
// (dist/src/index.js) stays as tsc writes it.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Names as written: error classes and functions keep theirs.
  keepNames: true,
  logLevel: 'warning',
  // Loaded at run time through createRequire, and only by runs that need them.
  external: ['piscina', 'cli-progress'],
};

const esm = {
  ...common,
  format: 'esm',
  // fast-glob and its dependencies are CommonJS, and require() Node's own modules.
  banner: { js: "import { createRequire as zotpackCreateRequire } from 'node:module'; const require = zotpackCreateRequire(import.meta.url);" },
};

// The CLI's chunks are named by their content: the last build's would pile up.
rmSync('dist/cli', { recursive: true, force: true });
// The worker's ES module bundle, which builds before f836593 wrote: `files` would pack it.
rmSync('dist/workers/session-worker.bundle.js', { force: true });

await Promise.all([
  build({ ...esm, entryPoints: { main: 'dist/src/cli/main.js' }, outdir: 'dist/cli', splitting: true, chunkNames: 'chunk-[hash]' }),
  build({
    ...common,
    format: 'cjs',
    entryPoints: ['dist/workers/session-worker.js'],
    outfile: 'dist/workers/session-worker.bundle.cjs',
    // A CommonJS bundle has no import.meta (esbuild would leave it empty, and warn): the build fails instead,
    // as it does on a top-level await.
    logOverride: { 'empty-import-meta': 'error' },
  }),
]);
