/**
 * Runs the uvu suite and ends with the one line CI reads: `N passed, N failed[, N skipped]`.
 * uvu's own summary is kept on screen but is not what CI parses.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// uvu exports neither its bin nor its package.json, so the path is spelled out.
const uvuBin = fileURLToPath(new URL('../node_modules/uvu/bin.js', import.meta.url));
const pattern = process.argv[2] ?? '.*\\.test\\.ts$';

const child = spawn(process.execPath, ['--import', 'tsx', uvuBin, 'test', pattern, '--color', 'false'], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, FORCE_COLOR: '0' },
});

let output = '';
child.stdout.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  output += chunk.toString('utf8');
});

child.on('close', (code) => {
  const count = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(output)?.[1] ?? 0);
  const total = count('Total');
  const passed = count('Passed');
  const skipped = count('Skipped');
  // uvu's Total excludes `test.skip` tests. A crash while loading a test file prints no
  // totals: count it as one failure rather than a silent pass.
  const failed = total - passed + (code !== 0 && total === passed ? 1 : 0);
  console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed > 0 ? 1 : 0);
});
