/**
 * Writes that cannot lose data, through `apply` and `convert`: an output naming an input through a
 * symlink or a hard link is refused; a read-only folder or a full disk (a real tmpfs where we may
 * mount one) gives a typed error and leaves nothing behind; `kill -9` mid-apply leaves no file
 * under the final name, and the next write removes that temp but not a live writer's; two applies
 * to one output both succeed and leave one whole file. bench/fuzz-checkpoint.ts does not cover
 * writes; the kill here copies 128 MiB (bench/kill-apply.ts kills a 1 GiB apply).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../src/input-error.ts';
import { convertCheckpoint } from '../../src/checkpoint/convert-checkpoint.ts';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import { tensorFromArray } from '../../src/checkpoint/tensor-from-array.ts';
import { pyDict } from '../../src/checkpoint/py-value.ts';
import { writeCheckpoint } from '../../src/checkpoint/write-checkpoint.ts';
import { runApply, type ApplyOptions } from '../../src/plan/run-apply.ts';
import { writeSmallCheckpoint, writeSparseSafetensors } from '../support/checkpoint-bytes.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-write-safety-'));
const mounts: string[] = [];
const children: ChildProcess[] = [];
test.after(() => {
  // A failed assertion must not leave a stopped child holding the test process open.
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const mount of mounts) spawnSync('umount', [mount]);
  rmSync(dir, { recursive: true, force: true });
});
const CLI = fileURLToPath(new URL('../examples/surgery-cli.ts', import.meta.url));
const isRoot = process.getuid?.() === 0;

/** `surgery apply` in-process with no remap: the output holds the source's tree. */
function apply(source: string, output: string, extra: Partial<ApplyOptions> = {}) {
  return runApply({ source, remaps: [], mode: 'strict', fill: false, output, format: 'json', colour: false, durable: false, ...extra });
}

async function refusal(promise: Promise<unknown>): Promise<InputError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('the write was not refused');
}

/** Mounts a fresh tmpfs at a new folder; returns it, or undefined where we may not mount. */
function tmpfs(name: string, options: string): string | undefined {
  const at = join(dir, name);
  mkdirSync(at);
  if (!isRoot || spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', at], { stdio: 'ignore' }).status !== 0) return undefined;
  mounts.push(at);
  return at;
}

test('-o naming an input through a symlink or a hard link is refused, the input and the link untouched', async () => {
  const source = join(dir, 'source.pth');
  await writeSmallCheckpoint(source);
  const remap = join(dir, 'rules.remap');
  writeFileSync(remap, 'drop alias\n');
  const before = readFileSync(source);
  symlinkSync(source, join(dir, 'source-symlink.pth'));
  linkSync(source, join(dir, 'source-hardlink.pth'));
  linkSync(remap, join(dir, 'remap-hardlink.pth'));
  for (const name of ['source-symlink.pth', 'source-hardlink.pth', 'remap-hardlink.pth']) {
    const output = join(dir, name);
    const error = await refusal(apply(source, output, { remaps: [remap] }));
    assert.is(error.code, 'output/overwrites-input', name);
    assert.is(error.file, output);
  }
  assert.is((await refusal(convertCheckpoint(source, join(dir, 'source-symlink.pth')))).code, 'output/overwrites-input');
  assert.ok(lstatSync(join(dir, 'source-symlink.pth')).isSymbolicLink());
  assert.equal(readFileSync(source), before);
  assert.equal(readFileSync(join(dir, 'source-hardlink.pth')), before);
  assert.is(readFileSync(remap, 'utf8'), 'drop alias\n');
  // The real process: exit 3 and a message naming the output.
  const cli = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'apply', source, '-o', join(dir, 'source-symlink.pth')], { encoding: 'utf8' });
  assert.is(cli.status, 3);
  assert.match(cli.stderr, `${join(dir, 'source-symlink.pth')}: is one of the files being read`);
});

test('a read-only folder: a typed error naming the output, nothing written, the input untouched', async () => {
  const source = join(dir, 'ro-source.pth');
  await writeSmallCheckpoint(source);
  const before = readFileSync(source);
  // root ignores folder permissions, so root gets a read-only mount instead.
  let folder = tmpfs('read-only', 'ro,size=1m');
  if (!folder) {
    assert.not.ok(isRoot, 'root can mount a tmpfs');
    folder = join(dir, 'read-only');
    chmodSync(folder, 0o555);
  }
  for (const write of [(out: string) => apply(source, out), (out: string) => convertCheckpoint(source, out)]) {
    const output = join(folder, 'out.pth');
    const error = await refusal(write(output));
    assert.is(error.code, 'output/unwritable');
    assert.match(error.message, new RegExp(`^${output}: cannot be written \\((EROFS|EACCES): its folder is not writable\\)`));
  }
  assert.equal(readdirSync(folder), []);
  assert.equal(readFileSync(source), before);
});

test('an output that is a folder or in a missing folder: a typed error, nothing left behind', async () => {
  const source = join(dir, 'folder-source.pth');
  await writeSmallCheckpoint(source);
  const folder = join(dir, 'a-folder');
  mkdirSync(folder);
  const asFolder = await refusal(convertCheckpoint(source, folder));
  assert.equal([asFolder.code, asFolder.detail.split(';')[0]], ['output/unwritable', 'cannot be written (EISDIR: it is a folder)']);
  const missing = await refusal(apply(source, join(dir, 'no-such-folder', 'out.pth')));
  assert.equal([missing.code, missing.detail.split(';')[0]], ['output/unwritable', 'cannot be written (ENOENT: its folder does not exist)']);
  assert.equal(tempsOf(dir), []);
  assert.equal(readdirSync(folder), []);
});

(isRoot ? test : test.skip)('a full disk (a 1 MiB tmpfs): a typed error, no partial file, the old output and the input untouched', async () => {
  const folder = tmpfs('full', 'size=1m');
  assert.ok(folder, 'root can mount a tmpfs');
  const source = join(dir, 'four-mib.pth');
  await writeCheckpoint(source, pyDict([['w', tensorFromArray(new Float32Array(2 ** 20).fill(0.5), [1024, 1024])]]), { format: 'torch-zip' });
  const before = readFileSync(source);
  const output = join(folder, 'out.pth');
  await writeSmallCheckpoint(output);
  const old = readFileSync(output);
  for (const write of [() => apply(source, output), () => convertCheckpoint(source, output), () => convertCheckpoint(source, join(folder, 'new.safetensors'))]) {
    const error = await refusal(write());
    assert.is(error.code, 'output/unwritable');
    assert.match(error.message, /: cannot be written \(ENOSPC: the disk is full\); nothing was written there and the inputs are untouched\.$/);
    assert.equal(readdirSync(folder), ['out.pth']);
  }
  assert.equal(readFileSync(output), old);
  assert.equal(readFileSync(source), before);
});
if (!isRoot) console.warn('\n!!! SKIPPING the full-disk write test: it mounts a 1 MiB tmpfs, which needs root !!!\n');

/** Starts `surgery apply SOURCE -o OUTPUT` as its own process. */
function startApply(source: string, output: string): { child: ChildProcess; exited: Promise<{ code: number | null; signal: string | null }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'apply', source, '-o', output, '--no-fsync', '--format', 'json'], { stdio: 'ignore' });
  children.push(child);
  return { child, exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))) };
}

function tempsOf(folder: string): string[] {
  return readdirSync(folder).filter((name) => name.endsWith('.surgery-tmp'));
}

/** Waits until `pid` has a non-empty temp in `folder`; returns its name. */
async function writingTemp(folder: string, pid: number): Promise<string> {
  const started = Date.now();
  for (;;) {
    const temp = tempsOf(folder).find((name) => name.includes(`.${pid}-`) && statSync(join(folder, name)).size > 0);
    if (temp) return temp;
    assert.ok(Date.now() - started < 30_000, `process ${pid} started writing`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

test('kill -9 mid-apply leaves no output; the next write removes that temp but not a live writer\'s, and both live writers succeed', async () => {
  const folder = join(dir, 'kill');
  mkdirSync(folder);
  const big = join(folder, 'big.safetensors');
  await writeSparseSafetensors(big, 128);
  const output = join(folder, 'out.pth');

  const killed = startApply(big, output);
  const stale = await writingTemp(folder, killed.child.pid!);
  killed.child.kill('SIGKILL');
  assert.equal(await killed.exited, { code: null, signal: 'SIGKILL' });
  assert.not.ok(existsSync(output), 'nothing under the final name');
  assert.equal(tempsOf(folder), [stale], 'the killed apply left its temp');

  // A second apply, stopped mid-write: its temp is live and must survive the next write's clean-up.
  const paused = startApply(big, output);
  const live = await writingTemp(folder, paused.child.pid!);
  paused.child.kill('SIGSTOP');
  const small = join(folder, 'small.pth');
  await writeSmallCheckpoint(small);
  assert.is((await apply(small, output)).exitCode, 0);
  assert.equal(tempsOf(folder), [live], 'the stale temp is gone, the live one kept');
  assert.equal([...(await openCheckpoint(output)).stateDicts.map((d) => d.name)], ['model.nets']);

  // Resumed, the stopped apply finishes over the one just written: one whole file, its own.
  paused.child.kill('SIGCONT');
  assert.equal(await paused.exited, { code: 0, signal: null });
  assert.equal(tempsOf(folder), []);
  const final = await openCheckpoint(output);
  assert.equal(final.stateDicts[0]!.tensors.get('w')!.shape, [128, 2 ** 18]);
  assert.equal([...final.stateDicts[0]!.tensors.keys()], ['w']);
});

test('temps that only look like ours, or belong to another output, are left alone', async () => {
  const folder = join(dir, 'lookalikes');
  mkdirSync(folder);
  const deadPid = 2 ** 22 + 1; // above Linux's pid_max limit: never a live process
  const others = [`.out.pth.${deadPid}-zzzzzzzz.surgery-tmp`, `.out.pth.x.${deadPid}-0123abcd.surgery-tmp`, `.out.pth.${deadPid}-0123abcd.tmp`, 'notes.txt'];
  for (const name of others) writeFileSync(join(folder, name), 'keep');
  writeFileSync(join(folder, `.out.pth.${deadPid}-0123abcd.surgery-tmp`), 'stale');
  const source = join(folder, 'source.pth');
  await writeSmallCheckpoint(source);
  await convertCheckpoint(source, join(folder, 'out.pth'));
  assert.equal(readdirSync(folder).sort(), [...others, 'out.pth', 'source.pth'].sort());
});

test.run();
