/**
 * A few hundred fuzz cases over small valid checkpoints (bench/fuzz-checkpoint.ts runs 10,000):
 * every mutated file must load or be refused with a typed error, each within a bounded time,
 * with memory staying flat.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadEverything, mutate, runFuzzCase, seededRandom } from '../support/checkpoint-fuzz.ts';
import { makeFuzzBases } from '../support/checkpoint-fuzz-bases.ts';

const CASES = 300;
const MAX_CASE_MS = 2000;
const dir = mkdtempSync(join(tmpdir(), 'surgery-fuzz-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test(`${CASES} mutated checkpoints each load or fail with a typed error, quickly and in flat memory`, async () => {
  const bases = await makeFuzzBases(dir);
  for (const base of bases) assert.ok((await loadEverything(join(dir, base.name))) > 0, `${base.name} is valid before mutation`);
  const random = seededRandom(20261124);
  const rssBefore = process.memoryUsage().rss;
  const outcomes = { ok: 0, typed: 0 };
  for (let index = 0; index < CASES; index++) {
    const base = bases[index % bases.length]!;
    const { bytes, how } = mutate(base.bytes, random);
    const started = performance.now();
    const outcome = await runFuzzCase(join(dir, `case${extname(base.name)}`), bytes);
    const elapsed = performance.now() - started;
    if (outcome.kind === 'bug') return assert.unreachable(`case ${index} (${base.name}, ${how}) threw ${String((outcome.error as Error).stack ?? outcome.error)}`);
    assert.ok(elapsed < MAX_CASE_MS, `case ${index} (${base.name}, ${how}) took ${Math.round(elapsed)} ms`);
    outcomes[outcome.kind] += 1;
  }
  assert.ok(outcomes.typed > CASES / 3, `most mutations are refused (${JSON.stringify(outcomes)})`);
  assert.ok(process.memoryUsage().rss - rssBefore < 256 * 1024 * 1024, 'memory stays flat');
});

test.run();
