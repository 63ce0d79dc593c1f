/** `--report FILE`: written atomically, and never over a file the command read. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/input-error.ts';
import { emitReport } from '../../src/report/command-outcome.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-report-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('the report goes to --report FILE and one line says so, with the failure when the exit code is not ok', async () => {
  const file = join(dir, 'plan.md');
  const outcome = await emitReport('# the report\n', { format: 'md', report: file, colour: false }, 1, []);
  assert.equal(outcome, { stdout: '', stderr: `report written to ${file} (the plan has errors)\n`, exitCode: 1 });
  assert.is(readFileSync(file, 'utf8'), '# the report\n');
  assert.equal(readdirSync(dir), ['plan.md'], 'no temp left behind');
});

test('--report naming an input, or a hard link to one, is refused and the input is untouched', async () => {
  const input = join(dir, 'droid.remap');
  writeFileSync(input, 'drop x\n');
  const link = join(dir, 'link.remap');
  linkSync(input, link);
  for (const report of [input, link]) {
    try {
      await emitReport('# the report\n', { format: 'md', report, colour: false }, 0, [input]);
      assert.unreachable('should refuse');
    } catch (error) {
      assert.instance(error, InputError);
      assert.is((error as InputError).code, 'output/overwrites-input');
    }
  }
  assert.is(readFileSync(input, 'utf8'), 'drop x\n');
});

test.run();
