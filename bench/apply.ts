/**
 * Benchmark of `surgery apply` on a ~1 GB robomimic-like checkpoint (model.nets + model.ema, aliased
 * camera encoders, fork key names) against the Python baseline torch.load → rename → torch.save, in one
 * run: wall time and peak memory of each (separate processes, /usr/bin/time), their ratios, plan time,
 * and a measurement of how untouched storage bytes are best copied here: by the kernel (copy_file_range
 * through fs.copyFile) or streamed through JavaScript buffers (what the zip writer does).
 *
 * Run: npm run build && node --import tsx bench/apply.ts [--keep]   (needs /usr/bin/python3 with torch; writes ~3 GB
 * to os.tmpdir()). The machine's disk and other processes make single runs noisy: run it on an idle machine.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyRange } from '../src/checkpoint/copy-range.ts';
import { preparePlan } from '../src/plan/prepare-plan.ts';

const PYTHON = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'surgery-bench-apply-'));
const checkpoint = join(dir, 'robomimic_like_1gb.pth');
const remap = join(dir, 'cameras.remap');

// Same layout idea as bench/io.ts: two state dicts of ~512 MB, camera 2 aliasing camera 1 as in DROID.
const GENERATE = String.raw`
import sys, torch, collections
torch.manual_seed(0)
cam = 'policy.obs_encoder.module.nets.obs.obs_nets.camera/image/varied_camera_{}_left_image'
def nets():
    sd = collections.OrderedDict()
    for i in range(16):
        w = torch.randn(1024, 1024, 3, 3) if i % 4 == 0 else torch.randn(512, 512, 3, 3)
        sd[f'{cam.format(1)}.backbone.nets.{i}.weight'] = w
        sd[f'{cam.format(2)}.backbone.nets.{i}.weight'] = w
        sd[f'{cam.format(1)}.backbone.nets.{i}.bias'] = torch.randn(w.shape[0])
    for i in range(12):
        sd[f'policy.noise_pred_net.module.down_modules.{i}.weight'] = torch.randn(1024, 1024, 5)
        sd[f'policy.noise_pred_net.module.down_modules.{i}.bias'] = torch.randn(1024)
    return sd
n = nets()
shifted = {}
e = collections.OrderedDict((k, shifted.setdefault(id(v), v + 0.01)) for k, v in n.items())
torch.save({'model': {'nets': n, 'ema': e}, 'config': '{}', 'algo_name': 'diffusion_policy', 'shape_metadata': {'ac_dim': 10}}, sys.argv[1])
`;

const BASELINE = String.raw`
import sys, torch, time, resource
t = time.time()
ck = torch.load(sys.argv[1], map_location='cpu')
for name in ['nets', 'ema']:
    sd = ck['model'][name]
    ck['model'][name] = type(sd)((k.replace('camera/image/varied_camera_1_left_image', 'agentview_rgb').replace('camera/image/varied_camera_2_left_image', 'eye_in_hand_rgb'), v) for k, v in sd.items())
torch.save(ck, sys.argv[2])
`;

function timed(command: string, args: string[]): { seconds: number; peakMiB: number } {
  // Flush dirty pages first (the generated checkpoint, the previous run's output) so no run pays for another's writeback.
  execFileSync('sync');
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M', command, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr}`);
  const [seconds, kib] = result.stderr.trim().split('\n').at(-1)!.split(' ').map(Number) as [number, number];
  return { seconds, peakMiB: kib / 1024 };
}

async function streamCopy(from: string, to: string, withCrc: boolean): Promise<void> {
  const source = await open(from, 'r');
  const target = await open(to, 'w');
  try {
    await copyRange({ handle: source, path: from, offset: 0 }, target, 0, (await source.stat()).size, withCrc);
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
}

async function main(): Promise<void> {
  console.log(`bench dir ${dir}`);
  execFileSync(PYTHON, ['-c', GENERATE, checkpoint]);
  writeFileSync(remap, 'camera/image/varied_camera_1_left_image -> agentview_rgb\ncamera/image/varied_camera_2_left_image -> eye_in_hand_rgb\n');
  const size = statSync(checkpoint).size;
  console.log(`checkpoint: ${(size / 2 ** 30).toFixed(2)} GiB`);

  const planStart = performance.now();
  const prepared = await preparePlan({ source: checkpoint, remaps: [remap], mode: 'strict', fill: true });
  const planSeconds = (performance.now() - planStart) / 1000;
  if (!prepared.plan?.ok) throw new Error('bench plan failed');

  // The surgery itself (runApply, what the command calls), and the whole CLI, which also pays for loading every
  // command module (the trainer's tfjs among them). Built JavaScript (npm run build) is what users run; without it
  // tsx compiles TypeScript on the fly, which costs ~75 MiB and ~2 s more.
  const built = existsSync('dist/src/plan/run-apply.js');
  const loader = built ? [] : ['--import', 'tsx'];
  const core = `import { runApply } from './${built ? 'dist/src/plan/run-apply.js' : 'src/plan/run-apply.ts'}'; const o = await runApply({ source: process.argv[1], remaps: [process.argv[2]], output: process.argv[3], mode: 'strict', fill: true, format: 'json', colour: false }); if (o.exitCode) throw new Error(o.stdout + o.stderr);`;
  const cliEntry = built ? ['bin/surgery.js'] : ['--import', 'tsx', '--input-type=module', '-e', "import { main } from './src/cli/main.ts'; await main(process.argv.slice(1));"];
  console.log(built ? 'running the built JavaScript (dist/)' : 'dist/ not built: running through tsx (npm run build for the real numbers)');
  // Two rounds in alternating order; each figure is the better of its two runs.
  const runs: Record<'ours' | 'cli' | 'python', Array<{ seconds: number; peakMiB: number }>> = { ours: [], cli: [], python: [] };
  for (let round = 0; round < 2; round++) {
    const order = round === 0 ? (['python', 'ours', 'cli'] as const) : (['cli', 'ours', 'python'] as const);
    for (const which of order) {
      if (which === 'ours') runs.ours.push(timed(process.execPath, [...loader, '--input-type=module', '-e', core, checkpoint, remap, join(dir, 'ours.pth')]));
      if (which === 'cli') runs.cli.push(timed(process.execPath, [...cliEntry, 'apply', checkpoint, remap, '-o', join(dir, `cli-${round}.pth`), '--format', 'json']));
      if (which === 'python') runs.python.push(timed(PYTHON, ['-c', BASELINE, checkpoint, join(dir, 'python.pth')]));
    }
    rmSync(join(dir, `cli-${round}.pth`));
    if (round === 0) rmSync(join(dir, 'ours.pth'));
  }
  const better = (list: Array<{ seconds: number; peakMiB: number }>) => ({ seconds: Math.min(...list.map((r) => r.seconds)), peakMiB: Math.max(...list.map((r) => r.peakMiB)) });
  const ours = better(runs.ours);
  const wholeCli = better(runs.cli);
  const python = better(runs.python);
  // Same keys, same bytes: the two outputs must load to equal tensors.
  execFileSync(PYTHON, ['-c', `import torch,sys\na=torch.load(sys.argv[1]);b=torch.load(sys.argv[2])\nassert all(torch.equal(a['model'][d][k], b['model'][d][k]) for d in ['nets','ema'] for k in b['model'][d])`, join(dir, 'ours.pth'), join(dir, 'python.pth')]);

  console.log(`plan (open + resolve, no tensor bytes): ${planSeconds.toFixed(3)} s  (target < 0.5 s)`);
  console.log(`surgery apply (runApply):  ${ours.seconds.toFixed(2)} s, peak ${ours.peakMiB.toFixed(0)} MiB`);
  console.log(`surgery apply (whole CLI): ${wholeCli.seconds.toFixed(2)} s, peak ${wholeCli.peakMiB.toFixed(0)} MiB`);
  console.log(`python baseline: ${python.seconds.toFixed(2)} s, peak ${python.peakMiB.toFixed(0)} MiB`);
  console.log(`ratios (runApply / python): wall ${(ours.seconds / python.seconds).toFixed(3)}x (target <= 0.5), peak memory ${(ours.peakMiB / python.peakMiB).toFixed(3)}x (target <= 0.15)`);
  console.log(`ratios (whole CLI / python): wall ${(wholeCli.seconds / python.seconds).toFixed(3)}x, peak memory ${(wholeCli.peakMiB / python.peakMiB).toFixed(3)}x`);

  // Each copy is timed into the page cache and again to disk (ending with fsync, as the atomic writer does); the
  // order rotates each round and the median is reported.
  const kinds = ['kernel', 'stream', 'stream+crc'] as const;
  const copies: Record<string, number[]> = {};
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[(i + round) % kinds.length]!;
      for (const durable of [false, true]) {
        const target = join(dir, `copy-${kind}.bin`);
        const start = performance.now();
        if (kind === 'kernel') copyFileSync(checkpoint, target);
        else await streamCopy(checkpoint, target, kind === 'stream+crc');
        if (durable) {
          const handle = await open(target, 'r+');
          await handle.sync();
          await handle.close();
        }
        (copies[`${kind}${durable ? ' + fsync' : ''}`] ??= []).push((performance.now() - start) / 1000);
        rmSync(target);
      }
    }
  }

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`copy ${(size / 2 ** 30).toFixed(2)} GiB, median of 3 (kernel = fs.copyFile → copy_file_range; stream = 8 MiB JS buffers):`);
  for (const [kind, times] of Object.entries(copies)) console.log(`  ${kind.padEnd(20)} ${median(times).toFixed(2)} s`);
}

try {
  await main();
} finally {
  if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
}
