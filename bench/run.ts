/**
 * Runs the benchmarks one after another, each in its own Node process (so none inherits another's
 * heap or page-cache churn), printing each one's output as it comes; exits 1 if any failed. The
 * slow model benchmarks (model-speed, train) run only with --all. Build first: io, apply,
 * fuzz-checkpoint and kill-apply run the built CLI.
 *
 *   npm run build && npm run bench [-- --all] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

interface Bench {
  script: string;
  nodeFlags: string[];
  slow: boolean;
  /** Whether it takes --keep (keep its temp dir of generated checkpoints). */
  keeps: boolean;
}

const BENCHES: Bench[] = [
  // --expose-gc lets parse-remap start every timed run from a collected heap.
  { script: 'parse-remap.ts', nodeFlags: ['--expose-gc'], slow: false, keeps: false },
  { script: 'suggest.ts', nodeFlags: ['--expose-gc'], slow: false, keeps: false },
  { script: 'io.ts', nodeFlags: [], slow: false, keeps: true },
  { script: 'apply.ts', nodeFlags: [], slow: false, keeps: true },
  { script: 'fuzz-checkpoint.ts', nodeFlags: [], slow: false, keeps: false },
  { script: 'kill-apply.ts', nodeFlags: [], slow: false, keeps: false },
  { script: 'model-speed.ts', nodeFlags: [], slow: true, keeps: false },
  { script: 'train.ts', nodeFlags: [], slow: true, keeps: false },
];

const all = process.argv.includes('--all');
const passOn = process.argv.includes('--keep') ? ['--keep'] : [];
const failed: string[] = [];
for (const bench of BENCHES.filter((b) => all || !b.slow)) {
  console.log(`\n=== bench/${bench.script} ===`);
  const started = performance.now();
  const script = fileURLToPath(new URL(`./${bench.script}`, import.meta.url));
  const result = spawnSync(process.execPath, [...bench.nodeFlags, '--import', 'tsx', script, ...(bench.keeps ? passOn : [])], { stdio: 'inherit' });
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  if (result.status === 0) console.log(`=== bench/${bench.script}: done in ${seconds} s ===`);
  else {
    failed.push(bench.script);
    console.log(`=== bench/${bench.script}: FAILED (${result.error?.message ?? `exit ${result.status ?? result.signal}`}) after ${seconds} s ===`);
  }
}
if (failed.length) {
  console.log(`\n${failed.length} benchmark(s) failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
