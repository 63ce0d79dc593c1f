/**
 * Fuzzes the checkpoint readers with 10,000 mutated files (bit flips, truncations, lying zip
 * fields, shuffled pickle bytes) made from small valid checkpoints (torch-made ones when torch is
 * installed). Prints outcome counts by error code and the slowest case; exits 1 on any untyped
 * error or a case over the time limit.
 *
 *   node --import tsx bench/fuzz-checkpoint.ts [cases=10000] [seed=1]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { makeFuzzBases } from '../test/support/checkpoint-fuzz-bases.ts';
import { mutate, runFuzzCase, seededRandom } from '../test/support/checkpoint-fuzz.ts';

const cases = Number(process.argv[2] ?? 10_000);
const seed = Number(process.argv[3] ?? 1);
const MAX_CASE_MS = 2000;
const dir = mkdtempSync(join(tmpdir(), 'surgery-fuzz-bench-'));

try {
  const bases = await makeFuzzBases(dir);
  const random = seededRandom(seed);
  const codes = new Map<string, number>();
  const failures: string[] = [];
  let slowest = { ms: 0, what: '' };
  let peakRss = 0;
  const started = performance.now();
  for (let index = 0; index < cases; index++) {
    const base = bases[index % bases.length]!;
    const { bytes, how } = mutate(base.bytes, random);
    const caseStart = performance.now();
    const outcome = await runFuzzCase(join(dir, `case${extname(base.name)}`), bytes);
    const ms = performance.now() - caseStart;
    const what = `case ${index} seed ${seed} (${base.name}, ${how})`;
    if (ms > slowest.ms) slowest = { ms, what };
    if (ms > MAX_CASE_MS) failures.push(`${what}: ${Math.round(ms)} ms`);
    const key = outcome.kind === 'typed' ? outcome.code : outcome.kind;
    codes.set(key, (codes.get(key) ?? 0) + 1);
    if (outcome.kind === 'bug') failures.push(`${what}: ${String((outcome.error as Error).stack ?? outcome.error)}`);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`${cases} cases over ${bases.map((base) => base.name).join(', ')} in ${seconds.toFixed(1)} s; peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
  for (const [code, count] of [...codes].sort((a, b) => b[1] - a[1])) console.log(`  ${String(count).padStart(6)}  ${code}`);
  console.log(`slowest: ${slowest.ms.toFixed(1)} ms, ${slowest.what}`);
  for (const failure of failures.slice(0, 20)) console.log(`FAIL ${failure}`);
  process.exitCode = failures.length ? 1 : 0;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
