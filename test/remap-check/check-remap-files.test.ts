import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCli } from '../../src/cli/create-cli.ts';
import { ExitWith } from '../../src/cli/exit-codes.ts';
import { InputError } from '../../src/input-error.ts';
import { checkRemapFiles, type CheckReport } from '../../src/remap-check/check-remap-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-check-'));
const good = join(dir, 'good.remap');
const bad = join(dir, 'bad.remap');
writeFileSync(good, 'drop a.**\n');
writeFileSync(bad, 'drop a\nfoo\nreinit x with kaimin\n');

test('a clean file gives a one-line summary', () => {
  assert.equal(checkRemapFiles([good], { format: 'text' }), { output: 'checked 1 file: no problems', clean: true });
});

test('problems are printed with file:line:col and a code frame, then counted', () => {
  const { output, clean } = checkRemapFiles([good, bad], { format: 'text' });
  assert.is(clean, false);
  assert.ok(output.startsWith(`${bad}:2:4: error: expected '->' or '<-' after the key pattern, found the end of the line [remap/syntax]\n  1 | drop a\n> 2 | foo\n    |    ^`));
  assert.ok(output.includes(`${bad}:3:15: error: unknown init kind "kaimin". Did you mean "kaiming"? [remap/unknown-init]`));
  assert.ok(output.endsWith('2 problems in 2 files'));
});

test('--format json gives codes and line:column per span', () => {
  const { output } = checkRemapFiles([bad], { format: 'json' });
  const report = JSON.parse(output) as CheckReport;
  assert.is(report.clean, false);
  assert.equal(
    report.files[0]!.diagnostics.map((d) => [d.code, d.spans[0]!.line, d.spans[0]!.column]),
    [
      ['remap/syntax', 2, 4],
      ['remap/unknown-init', 3, 15],
    ],
  );
});

test('a missing file is an InputError naming it', () => {
  const missing = join(dir, 'missing.remap');
  assert.throws(() => checkRemapFiles([missing], { format: 'text' }), (e: unknown) => e instanceof InputError && e.code === 'remap/unreadable' && e.message.startsWith(missing));
});

test('the CLI exits 0 on clean files and 1 with diagnostics', async () => {
  const log = console.log;
  const printed: string[] = [];
  console.log = (s: string) => printed.push(s);
  try {
    await createCli(['check', good]).parseAsync();
    let exit: unknown;
    try {
      await createCli(['check', bad, '--format', 'json']).parseAsync();
    } catch (e) {
      exit = e;
    }
    assert.ok(exit instanceof ExitWith && exit.code === 1);
  } finally {
    console.log = log;
  }
  assert.is(printed[0], 'checked 1 file: no problems');
  assert.is((JSON.parse(printed[1]!) as CheckReport).files[0]!.diagnostics.length, 2);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
