import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createCli } from '../../src/cli/create-cli.ts';
import { UsageError } from '../../src/usage-error.ts';
import { ExitWith } from '../../src/cli/exit-codes.ts';
import { InputError } from '../../src/input-error.ts';
import { REFERENCE } from '../plan/plan-helpers.ts';

const R = REFERENCE;
const dir = mkdtempSync(join(tmpdir(), 'surgery-cli-'));

/** Runs the real CLI in-process; returns stdout and the exit code main() would use. */
async function run(argv: string[]): Promise<{ stdout: string; code: number }> {
  let stdout = '';
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  // Stand-ins that, like real streams, call the write callback once the chunk is taken.
  const capture = (keep: boolean) => ((chunk: string, callback?: () => void) => {
    if (keep) stdout += chunk;
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture(true);
  process.stderr.write = capture(false);
  try {
    await createCli(argv).parseAsync();
    return { stdout, code: 0 };
  } catch (error) {
    if (error instanceof ExitWith) return { stdout, code: error.code };
    if (error instanceof UsageError) return { stdout, code: 2 };
    if (error instanceof InputError) return { stdout, code: 3 };
    throw error;
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
}

test('plan: full-size TSV schemas with the cameras only → exit 1, the 5 mismatches in the JSON report', async () => {
  const remap = join(dir, 'cameras.remap');
  writeFileSync(remap, 'camera/image/varied_camera_1_left_image -> agentview_rgb\ncamera/image/varied_camera_2_left_image -> eye_in_hand_rgb\n');
  const { stdout, code } = await run(['plan', `${R}/full_size/droid_nets.tsv`, remap, '--target', `${R}/full_size/libero_nets.tsv`, '--format', 'json']);
  assert.is(code, 1);
  const report = JSON.parse(stdout);
  assert.is(report.diagnostics.filter((d: { code: string }) => d.code === 'load/size-mismatch').length, 5);
  assert.is(report.verdict.loose.ok, false);
});

test('plan: the shipped full-size remap makes the schemas load → exit 0, markdown to --report', async () => {
  const out = join(dir, 'plan.md');
  const { code } = await run(['plan', `${R}/full_size/droid_nets.tsv`, 'remaps/droid-to-libero.remap', '-t', `${R}/full_size/libero_nets.tsv`, '--format', 'md', '--report', out]);
  assert.is(code, 0);
  assert.match(readFileSync(out, 'utf8'), '| `load_state_dict(strict=True)` | ✅ loads |');
});

test('apply: tiny DROID → LIBERO writes the output; a remap with errors exits 1 and writes nothing', async () => {
  const out = join(dir, 'out.pth');
  const ok = await run(['apply', `${R}/fork_droid_tiny.ckpt.pth`, 'remaps/droid-to-libero-tiny.remap', '-t', `${R}/fork_libero_tiny.ckpt.pth`, '-o', out, '--format', 'json']);
  assert.is(ok.code, 0);
  assert.ok(existsSync(out));
  assert.ok(JSON.parse(ok.stdout).notes.some((n: string) => n.startsWith('Wrote')));
  const broken = join(dir, 'broken.remap');
  writeFileSync(broken, 'drop policy.*[\n');
  const bad = await run(['apply', `${R}/fork_droid_tiny.ckpt.pth`, broken, '-o', join(dir, 'bad.pth')]);
  assert.is(bad.code, 1);
  assert.not.ok(existsSync(join(dir, 'bad.pth')));
});

test('verify: the output of the apply above keeps both encoders exactly → exit 0; a missing output → exit 3', async () => {
  const ok = await run(['verify', `${R}/fork_droid_tiny.ckpt.pth`, join(dir, 'out.pth'), '--format', 'json']);
  assert.is(ok.code, 0);
  assert.equal(JSON.parse(ok.stdout).sections[0].rows.slice(0, 2).map((r: { maxAbsDiff: number }) => r.maxAbsDiff), [0, 0]);
  assert.is((await run(['verify', `${R}/fork_droid_tiny.ckpt.pth`, join(dir, 'missing.pth')])).code, 3);
});

test('apply --no-fsync writes the same bytes as the default, which flushes to disk', async () => {
  const [flushed, unflushed] = ['flushed', 'unflushed'].map((name) => join(dir, name, 'out.pth')) as [string, string];
  const argv = (out: string) => ['apply', `${R}/fork_droid_tiny.ckpt.pth`, 'remaps/droid-to-libero-tiny.remap', '-t', `${R}/fork_libero_tiny.ckpt.pth`, '-o', out, '--format', 'json'];
  for (const out of [flushed, unflushed]) mkdirSync(dirname(out));
  assert.is((await run(argv(flushed))).code, 0);
  assert.is((await run([...argv(unflushed), '--no-fsync'])).code, 0);
  assert.ok(readFileSync(unflushed).equals(readFileSync(flushed)));
});

test('exit codes from the real process: 2 for usage, 3 for an unreadable input, 1 with the whole report piped', () => {
  const main = "import { main } from './src/cli/main.ts'; await main(process.argv.slice(1));";
  const node = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', main, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.is(node(['plan', 'x.pth', '--mode', 'sloppy']).status, 2);
  const unreadable = node(['plan', join(dir, 'missing.pth')]);
  assert.is(unreadable.status, 3);
  assert.match(unreadable.stderr, 'missing.pth');
  // A failing plan with a report far larger than a pipe buffer: all of it arrives before the process exits with 1.
  const big = node(['plan', `${R}/full_size/droid_nets.tsv`, '-t', `${R}/full_size/libero_nets.tsv`, '--format', 'json']);
  assert.is(big.status, 1);
  assert.ok(big.stdout.length > 65536, String(big.stdout.length));
  assert.is(JSON.parse(big.stdout).verdict.strict.ok, false);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
