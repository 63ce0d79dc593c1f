import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../../src/model/backend.ts';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import { getAtPath } from '../../src/checkpoint/py-value.ts';
import { readTensor } from '../../src/checkpoint/read-tensor.ts';
import type { PyValue } from '../../src/checkpoint/types.ts';
import { writeTinyRun } from './tiny-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-resume-'));
const MAIN = new URL('../../src/cli/main.ts', import.meta.url).href;

/** Runs `surgery train ...` in a child process; `killWhen` SIGKILLs it as soon as it returns true. */
function train(args: string[], killWhen?: () => boolean): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', `import(${JSON.stringify(MAIN)}).then((m) => m.main(process.argv.slice(1)))`, 'train', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = killWhen && setInterval(() => killWhen() && child.kill('SIGKILL'), 10);
    child.on('exit', (code, signal) => {
      if (timer) clearInterval(timer);
      resolve({ code, signal, stderr });
    });
  });
}

/** Every tensor of a checkpoint as bytes, by its path in the tree. */
async function tensorsOf(path: string): Promise<Map<string, Uint8Array>> {
  const checkpoint = await openCheckpoint(path);
  const out = new Map<string, Uint8Array>();
  const walk = async (node: PyValue, at: string): Promise<void> => {
    if (node && typeof node === 'object' && !Array.isArray(node) && !(node instanceof Uint8Array)) {
      if (node.kind === 'tensor') {
        const data = await readTensor(node);
        out.set(at, new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice());
      } else if (node.kind === 'dict') for (const [k, v] of node.entries) await walk(v, `${at}/${String(k)}`);
    }
  };
  await walk(checkpoint.root, '');
  return out;
}

test('a run killed after a checkpoint resumes with the same step count, optimizer state and final weights', async () => {
  await selectBackend('wasm');
  const run = await writeTinyRun(dir, { images: false });
  const common = ['--config', run.configPath, '--data', run.dataPath, '--epochs', '3', '--steps-per-epoch', '3', '--backend', 'wasm', '--quiet'];
  const straight = await train([...common, '--init', run.initPath, '--out', join(dir, 'straight')]);
  assert.is(straight.code, 0, straight.stderr);

  const out = join(dir, 'killed');
  const killed = await train([...common, '--init', run.initPath, '--out', out], () => existsSync(join(out, 'model_epoch_1.pth')));
  assert.is(killed.signal, 'SIGKILL', 'the first run was killed before it finished');
  const checkpoint = await openCheckpoint(join(out, 'last.pth'));
  const epoch = getAtPath(checkpoint.root, ['variable_state', 'epoch']) as number;
  assert.is(getAtPath(checkpoint.root, ['variable_state', 'surgery', 'step']), epoch * 3);

  // The checkpoint the kill left equals the uninterrupted run's checkpoint of the same epoch.
  const atKill = await tensorsOf(join(out, 'last.pth'));
  const sameEpoch = await tensorsOf(join(dir, 'straight', `model_epoch_${epoch}.pth`));
  for (const [key, bytes] of sameEpoch) assert.ok(Buffer.from(bytes).equals(Buffer.from(atKill.get(key)!)), `${key} differs at epoch ${epoch} before resuming`);
  const resumed = await train([...common, '--out', out, '--resume']);
  assert.is(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, `resume: ${join(out, 'last.pth')} at epoch ${epoch}, step ${epoch * 3}`);

  const a = await tensorsOf(join(dir, 'straight', 'last.pth'));
  const b = await tensorsOf(join(out, 'last.pth'));
  assert.equal([...b.keys()], [...a.keys()]);
  assert.ok([...a.keys()].some((k) => k.startsWith('/model/optimizers/policy/state/')), 'optimizer state is compared too');
  for (const [key, bytes] of a) assert.ok(Buffer.from(bytes).equals(Buffer.from(b.get(key)!)), `${key} differs after resume`);
  const final = await openCheckpoint(join(out, 'last.pth'));
  assert.is(getAtPath(final.root, ['variable_state', 'surgery', 'step']), 9);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
