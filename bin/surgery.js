#!/usr/bin/env node
// The bundled CLI lives in dist/cli/ (built by `npm ci` through the `prepare` script: scripts/build-cli.ts).
import { main } from '../dist/cli/main.js';

await main(process.argv.slice(2));
