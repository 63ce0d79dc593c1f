/**
 * `kill -9` in the middle of `bin/surgery.js apply` of a 1 GiB checkpoint (a sparse safetensors
 * file; test/checkpoint/write-atomically.test.ts does the same at 128 MiB in the suite). Checks, at
 * each of ROUNDS kill points spread over the write, that nothing appears under the output's name
 * and the killed apply's temp is left; then that the next apply succeeds, removes that temp and
 * leaves one whole file. Prints how far each write got when killed and the recovery run's time;
 * exits 1 on any violation.
 *
 *   npm run build && [ROUNDS=3] node --import tsx bench/kill-apply.ts   (writes ~2 GiB to os.tmpdir())
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCheckpoint } from '../src/checkpoint/open-checkpoint.ts';
import { writeSparseSafetensors } from '../test/support/checkpoint-bytes.ts';
import { builtCli } from './support/built-cli.ts';

const MEBIBYTES = 1024;
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const cli = builtCli();
const dir = mkdtempSync(join(tmpdir(), 'surgery-kill-apply-'));
const failures: string[] = [];
const check = (ok: boolean, what: string) => ok || failures.push(what);
const temps = () => readdirSync(dir).filter((name) => name.endsWith('.surgery-tmp'));

try {
  const source = join(dir, 'one-gib.safetensors');
  const output = join(dir, 'out.pth');
  await writeSparseSafetensors(source, MEBIBYTES);
  const argv = [cli, 'apply', source, '-o', output, '--format', 'json'];
  for (let round = 1; round <= ROUNDS; round++) {
    const killAt = (round / (ROUNDS + 1)) * MEBIBYTES * 2 ** 20;
    const child = spawn(process.execPath, argv, { stdio: 'ignore' });
    const exited = new Promise<string | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    let written = 0;
    while (written < killAt && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      const temp = temps().find((name) => name.includes(`.${child.pid}-`));
      written = temp ? statSync(join(dir, temp)).size : 0;
    }
    child.kill('SIGKILL');
    check((await exited) === 'SIGKILL', `round ${round}: the apply ended before it was killed`);
    check(!existsSync(output), `round ${round}: a file appeared under the output's name`);
    check(temps().length === 1, `round ${round}: expected the killed apply's temp, found ${temps().length}`);
    const started = performance.now();
    const next = spawnSync(process.execPath, argv, { stdio: 'ignore' });
    const seconds = (performance.now() - started) / 1000;
    check(next.status === 0, `round ${round}: the next apply exited ${next.status}`);
    check(temps().length === 0, `round ${round}: temps left after the next apply: ${temps().join(', ')}`);
    const tensor = (await openCheckpoint(output)).stateDicts[0]?.tensors.get('w');
    check(tensor?.shape.join() === `${MEBIBYTES},${2 ** 18}`, `round ${round}: the output is not the whole checkpoint`);
    console.log(`round ${round}: killed at ${(written / 2 ** 20).toFixed(0)} MiB of ${MEBIBYTES}; next apply cleaned up and wrote the whole file in ${seconds.toFixed(1)} s`);
    rmSync(output);
  }
  for (const failure of failures) console.log(`FAIL ${failure}`);
  process.exitCode = failures.length ? 1 : 0;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
