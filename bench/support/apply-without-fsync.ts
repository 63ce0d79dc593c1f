/**
 * What `surgery apply SOURCE REMAP... -o OUTPUT` does to the checkpoint (plan, provenance, apply,
 * atomic write) but writing with `durable: false`: no fsync, like Python's torch.save, so
 * bench/apply.ts can show both. Prints the in-process seconds (without Node start-up) on stdout.
 *
 *   node --import tsx bench/support/apply-without-fsync.ts SOURCE OUTPUT REMAP...
 */
import { writeCheckpoint } from '../../src/checkpoint/write-checkpoint.ts';
import { applyPlan } from '../../src/plan/apply-plan.ts';
import { buildProvenance } from '../../src/plan/build-provenance.ts';
import { DEFAULT_SEED } from '../../src/plan/init-values.ts';
import { preparePlan } from '../../src/plan/prepare-plan.ts';

const [source, output, ...remaps] = process.argv.slice(2);
if (!source || !output || remaps.length === 0) throw new Error('usage: apply-without-fsync.ts SOURCE OUTPUT REMAP...');
const started = performance.now();
const { plan, source: opened, target } = await preparePlan({ source, remaps, mode: 'strict', fill: true });
if (!plan?.ok || opened?.kind !== 'checkpoint') throw new Error(`the plan for ${source} failed: run \`surgery plan\` on it to see why`);
const provenance = await buildProvenance(plan, { seed: DEFAULT_SEED, metadata: 'source' });
const applied = await applyPlan({ plan, source: opened, target, metadata: 'source', seed: DEFAULT_SEED, provenance });
await writeCheckpoint(output, applied.root, { format: 'torch-zip', durable: false });
console.log(((performance.now() - started) / 1000).toFixed(3));
