import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCli } from '../../src/cli/create-cli.ts';
import { ExitWith } from '../../src/cli/exit-codes.ts';
import { formatRemapFiles } from '../../src/remap-check/format-remap-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-fmt-'));
const UGLY = 'version   1\n\n\n# keep me\na.b ->  c   # and me\nlonger.key -> d\n';
const PRETTY = 'version 1\n\n# keep me\na.b        -> c  # and me\nlonger.key -> d\n';

test('--check reports an unformatted file and writes nothing', () => {
  const path = join(dir, 'check.remap');
  writeFileSync(path, UGLY);
  assert.equal(formatRemapFiles([path], { check: true }), { output: `${path}: not formatted; run \`surgery fmt ${path}\``, ok: false });
  assert.is(readFileSync(path, 'utf8'), UGLY);
});

test('fmt rewrites in place, keeps comments, leaves no temporary file, and is then clean for --check', () => {
  const path = join(dir, 'write.remap');
  writeFileSync(path, UGLY);
  assert.equal(formatRemapFiles([path], { check: false }), { output: `formatted ${path}`, ok: true });
  assert.is(readFileSync(path, 'utf8'), PRETTY);
  assert.equal(readdirSync(dir).filter((f) => f.includes('tmp')), []);
  assert.equal(formatRemapFiles([path], { check: true }), { output: '', ok: true });
});

test('a file with syntax errors is reported and never rewritten', () => {
  const path = join(dir, 'broken.remap');
  writeFileSync(path, 'drop   a\nfoo\n');
  const { output, ok } = formatRemapFiles([path], { check: false });
  assert.is(ok, false);
  assert.ok(output.includes(`${path}:2:4: error: expected '->' or '<-'`));
  assert.ok(output.endsWith(`${path}: not formatted: fix the syntax errors first`));
  assert.is(readFileSync(path, 'utf8'), 'drop   a\nfoo\n');
});

test('the CLI: `fmt --check` exits 1 on an unformatted file', async () => {
  const path = join(dir, 'cli.remap');
  writeFileSync(path, UGLY);
  const log = console.log;
  console.log = () => {};
  let exit: unknown;
  try {
    await createCli(['fmt', '--check', path]).parseAsync();
  } catch (e) {
    exit = e;
  } finally {
    console.log = log;
  }
  assert.ok(exit instanceof ExitWith && exit.code === 1);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
