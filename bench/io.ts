/**
 * Checkpoint I/O benchmark (issue 2). Makes the ~1 GB robomimic-like checkpoint with PyTorch
 * (bench/support/make-robomimic-checkpoint.ts), then times, in one run:
 *   (a) `surgery inspect --json` as users run it (the built CLI, a fresh process), and in-process;
 *       target < 0.5 s;
 *   (b) a rename-only rewrite (drop DataParallel's `.module.` from every key) by surgery, with and
 *       without fsync, side by side with Python torch.load → rename → torch.save (which does not
 *       fsync); targets ≤ 0.5× Python's wall time and ≤ 0.15× its peak RSS;
 *   (c) ways to copy the file's bytes: the kernel (fs.copyFile → copy_file_range), our ranged copy
 *       through JavaScript buffers (with and without CRC), a stream pipeline, and writing from
 *       memory (the disk's floor), each into the page cache and then with fsync.
 * Each rewrite runs ROUNDS times (default 3, order rotating) and the best is shown. Everything
 * lives in a temp dir, removed at the end unless --keep.
 *
 *   npm run build && [ROUNDS=3] node --import tsx bench/io.ts [--keep]
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { copyFile, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { copyRange, writeFully } from '../src/checkpoint/copy-range.ts';
import { inspectCheckpoint } from '../src/inspect/inspect-checkpoint.ts';
import { builtCli } from './support/built-cli.ts';
import { torchRenameBaseline } from './support/torch-rename-baseline.ts';
import { makeRobomimicCheckpoint, PYTHON } from './support/make-robomimic-checkpoint.ts';
import { describeLoad, formatHeader, formatRatio, formatRow, measure, measureRounds } from './support/measure.ts';

const RENAME_REWRITE = fileURLToPath(new URL('./support/rename-rewrite.ts', import.meta.url));
const COPY_CHUNK = 8 * 2 ** 20;

// The baseline renames keys and `_metadata` module names the way rename-rewrite.ts does.
const BASELINE = torchRenameBaseline(String.raw`
def rename(name):
    if '.module.' in name:
        return name.replace('.module.', '.', 1)
    return name[:-len('.module')] if name.endswith('.module') else name
`);

/** Returns a line with the wall, CPU and throughput of one copy of `size` bytes into `target`. */
async function timeCopy(label: string, size: number, target: string, copy: (target: string) => Promise<void>, durable: boolean): Promise<string> {
  execFileSync('sync');
  const started = performance.now();
  const cpu = process.cpuUsage();
  await copy(target);
  if (durable) {
    const handle = await open(target, 'r+');
    await handle.sync();
    await handle.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await rm(target);
  return `    ${`${label}${durable ? ' + fsync' : ''}`.padEnd(40)} ${seconds.toFixed(2).padStart(6)} s wall ${((used.user + used.system) / 1e6).toFixed(2).padStart(6)} s CPU ${(size / 2 ** 30 / seconds).toFixed(2).padStart(6)} GiB/s`;
}

/** Returns nothing; copies `size` bytes of `source` into a new `target` with copyRange (JS buffers). */
async function rangedCopy(source: string, target: string, size: number, withCrc: boolean): Promise<void> {
  const input = await open(source, 'r');
  const output = await open(target, 'w');
  try {
    await copyRange({ handle: input, path: source, offset: 0 }, output, 0, size, withCrc);
  } finally {
    await Promise.all([input.close(), output.close()]);
  }
}

/** Returns nothing; writes `size` bytes from one in-memory buffer into a new `target`: no reads at all. */
async function writeFromMemory(target: string, size: number): Promise<void> {
  const output = await open(target, 'w');
  const chunk = Buffer.alloc(COPY_CHUNK, 1);
  try {
    for (let at = 0; at < size; at += chunk.length) await writeFully(output, chunk, Math.min(chunk.length, size - at), at);
  } finally {
    await output.close();
  }
}

async function main(dir: string): Promise<void> {
  const cli = builtCli();
  const source = join(dir, 'droid_full.pth');
  console.log(`making ${source} with torch ...`);
  makeRobomimicCheckpoint(source);
  const size = statSync(source).size;
  console.log(`source: ${(size / 2 ** 30).toFixed(2)} GiB; ${describeLoad()}\n`);

  measure(process.execPath, [cli, 'inspect', source, '--json']); // warm the page cache and the code cache
  const inspectRun = measure(process.execPath, [cli, 'inspect', source, '--json']);
  const started = performance.now();
  const report = await inspectCheckpoint(source);
  const inProcess = (performance.now() - started) / 1000;
  console.log(`(a) inspect: ${report.stateDicts.map((entry) => `${entry.name} ${entry.tensors} keys`).join(', ')}   target < 0.5 s`);
  console.log(`    in-process                               ${inProcess.toFixed(3)} s`);
  console.log(`    bin/surgery.js inspect --json (process)  ${inspectRun.seconds.toFixed(2)} s wall, ${inspectRun.cpuSeconds.toFixed(2)} s CPU, peak ${inspectRun.peakMiB.toFixed(0)} MiB\n`);

  const rounds = Number(process.env.ROUNDS ?? 3);
  const tsx = ['--import', 'tsx', RENAME_REWRITE, source];
  const best = measureRounds(rounds, {
    fsync: () => measure(process.execPath, [...tsx, join(dir, 'ours.pth')]),
    noFsync: () => measure(process.execPath, [...tsx, join(dir, 'ours.pth'), '--no-fsync']),
    python: () => measure(PYTHON, ['-c', BASELINE, source, join(dir, 'python.pth')]),
  });
  console.log(formatHeader(`(b) rename-only rewrite, best of ${rounds}`));
  console.log(`${formatRow('surgery, fsync (the default)', best.fsync)}   (in-process ${best.fsync.stdout} s)`);
  console.log(`${formatRow('surgery, durable: false (no fsync)', best.noFsync)}   (in-process ${best.noFsync.stdout} s)`);
  console.log(`${formatRow('python torch.load/rename/torch.save', best.python)}   (in-process ${best.python.stdout} s)`);
  console.log(formatRatio('ratio surgery/python, fsync', best.fsync, best.python));
  console.log(formatRatio('ratio surgery/python, no fsync (like py)', best.noFsync, best.python));
  console.log('    (surgery runs here through tsx, which adds its start-up and compile time and memory to our figures)\n');

  const target = join(dir, 'copy.bin');
  console.log(`(c) copying the whole ${(size / 2 ** 30).toFixed(2)} GiB source once (source in the page cache):`);
  for (const durable of [false, true]) {
    console.log(await timeCopy('fs.copyFile (kernel copy_file_range)', size, target, (to) => copyFile(source, to), durable));
    console.log(await timeCopy('copyRange (8 MiB JS buffers)', size, target, (to) => rangedCopy(source, to, size, false), durable));
    console.log(await timeCopy('copyRange + CRC-32', size, target, (to) => rangedCopy(source, to, size, true), durable));
    console.log(await timeCopy('stream pipeline', size, target, (to) => pipeline(createReadStream(source, { highWaterMark: COPY_CHUNK }), createWriteStream(to)), durable));
    console.log(await timeCopy('write from memory (disk floor)', size, target, (to) => writeFromMemory(to, size), durable));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'surgery-bench-io-'));
try {
  await main(dir);
} finally {
  if (process.argv.includes('--keep')) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
