#!/usr/bin/env node
// The bundled CLI lives in dist/cli/ (built by `npm ci` through the `prepare` script: scripts/build-cli.ts).
import module from 'node:module';

// Node 22.1 and later keep the bundle's compiled code between runs (in the OS temp folder;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off): ~10 ms off a `plan` on Node 22 and 24 in A/B runs;
// Node 20 has no such cache. It caches only what is imported after this call, hence the dynamic
// import.
module.enableCompileCache?.();
const { main } = await import('../dist/cli/main.js');
await main(process.argv.slice(2));
