/**
 * Builds the CLI that `bin/surgery.js` runs: src/ bundled by esbuild into dist/cli/, one module per
 * entry plus shared chunks, so the lazy `import()`s of each command stay lazy. A fresh `surgery plan`
 * otherwise resolves and compiles some 200 modules (yargs alone is ~40) before it reads a byte;
 * bundled, it starts ~0.2 s sooner (bench/apply.ts). The batch worker is its own entry because
 * batch-prefetcher.ts starts it by file name beside itself. Packages that load their own .wasm or
 * native files from beside their modules (tfjs backends, webgpu, h5wasm) stay external, as does
 * chevrotain, which grammar/chevrotain-runtime.ts loads from its single-file build.
 */
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/cli`;

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts', 'batch-worker': 'src/data/batch-worker.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@tensorflow/*', 'webgpu', 'h5wasm', 'chevrotain'],
  // Bundled CommonJS packages (cli-progress, ...) require Node's builtins; an ES module has no `require`.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
