/**
 * Benchmark: `suggest` drafting (and proving) a remap between the full-size key manifests, in process, against the
 * baseline of one strict plan of the hand-written remap on the same pair (`surgery plan`'s own work).
 * Target: each draft well under a second. Run: `node --expose-gc --import tsx bench/suggest.ts`
 */
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { analyzeRemap } from '../grammar/index.ts';
import { loadSchema } from '../src/plan/load-schema.ts';
import { resolvePlan } from '../src/plan/resolve-plan.ts';
import { draftRemap } from '../src/suggest/draft-remap.ts';
import { REFERENCE_DIR } from '../test/support/reference.ts';

const FULL = `${REFERENCE_DIR}full_size`;
const RUNS = 11;

/** Returns the median wall-clock milliseconds of RUNS runs, each from a collected heap. */
function median(run: () => unknown): number {
  const wall: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    const start = performance.now();
    run();
    wall.push(performance.now() - start);
  }
  return wall.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
}

const droid = await loadSchema(`${FULL}/droid_nets.tsv`);
const libero = await loadSchema(`${FULL}/libero_nets.tsv`);
const upstream = await loadSchema(`${FULL}/libero_upstream_nets.tsv`);
const handWritten = readFileSync(new URL('../remaps/droid-to-libero.remap', import.meta.url), 'utf8');
const ast = analyzeRemap(handWritten, 'droid-to-libero.remap').file;
const baseline = median(() => resolvePlan({ source: droid, target: libero, remaps: [{ file: 'droid-to-libero.remap', text: handWritten, ast }], mode: 'strict', fill: false }));
console.log(`baseline: plan of remaps/droid-to-libero.remap, DROID -> LIBERO full size: median ${baseline.toFixed(1)} ms`);
const pairs = { 'DROID -> LIBERO': [droid, libero], 'LIBERO -> DROID': [libero, droid], 'DROID -> LIBERO upstream': [droid, upstream] } as const;
for (const [label, [source, target]] of Object.entries(pairs)) {
  const suggest = () => draftRemap({ source, target, sourceConfig: null, targetConfig: null, file: 'draft.remap' });
  if (!suggest().ok) throw new Error(`${label}: the draft does not plan clean`);
  const ms = median(suggest);
  console.log(`suggest ${label.padEnd(26)} median ${ms.toFixed(1)} ms  (${(ms / baseline).toFixed(1)}x the plan)`);
}
