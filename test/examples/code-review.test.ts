/**
 * Runs examples/code-review/review-remaps.sh exactly as its CI workflow does, on the bundled surgeries and on a
 * broken copy, and checks the Markdown report a pull request would get.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
const SCRIPT = 'examples/code-review/review-remaps.sh';
const dir = mkdtempSync(join(tmpdir(), 'surgery-code-review-'));

/** Runs the review script from the repository root, with surgery run from the sources. */
function review(env: Record<string, string>): { status: number; output: string; report: string } {
  const reportDir = join(dir, `report-${Object.keys(env).length}-${Math.random().toString(36).slice(2)}`);
  const run = spawnSync('bash', [SCRIPT], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', SURGERY: `${process.execPath} --import tsx test/examples/surgery-cli.ts`, REPORT_DIR: reportDir, ...env },
  });
  return { status: run.status ?? -1, output: `${run.stdout}${run.stderr}`, report: readFileSync(join(reportDir, 'report.md'), 'utf8') };
}

test('the bundled surgeries pass both gates and the plan, and the report says what loads', () => {
  const { status, output, report } = review({});
  assert.is(status, 0, output);
  assert.ok(report.startsWith('<!-- surgery-remap-review -->\n## Remap review'));
  assert.match(report, '- ✅ `surgery fmt --check`');
  assert.match(report, '- ✅ `surgery check`');
  assert.match(report, '### surgery plan: ✅ ready (mode strict)');
  assert.match(report, '**Remap** `remaps/droid-to-libero.remap`');
  // The full-size schemas: 794 tensors per state dict pair, all six expectations of the remap hold.
  assert.match(report, 'target: 794 tensors');
  assert.not.match(report, '❌');
  // Small enough for a pull-request comment (GitHub's limit is 65,536 characters).
  assert.ok(report.length < 65_536, `report is ${report.length} characters`);
});

test('an unformatted remap and a typo fail the review, and the report names both', () => {
  const remaps = join(dir, 'remaps');
  mkdirSync(remaps);
  const good = readFileSync(join(ROOT, 'remaps/droid-to-libero.remap'), 'utf8');
  // A key typo: the rule now matches nothing, which plan must refuse (with a suggestion).
  writeFileSync(join(remaps, 'droid-to-libero.remap'), good.replace('reinit policy.noise_pred_net.module.final_conv.1.*', 'reinit policy.noise_pred_net.module.final_cnv.1.*'));
  // Same meaning, not canonically laid out.
  writeFileSync(join(remaps, 'untidy.remap'), 'version 1\nin model.nets\na    ->   b\n');
  const surgeries = join(dir, 'surgeries.tsv');
  writeFileSync(surgeries, `${join(remaps, 'droid-to-libero.remap')}\texamples/code-review/manifests/droid-fork-full.tsv\texamples/code-review/manifests/libero-fork-full.tsv\n`);
  const { status, output, report } = review({ REMAP_DIR: remaps, SURGERIES: surgeries });
  assert.is(status, 1, output);
  assert.match(report, '- ❌ `surgery fmt --check`');
  assert.match(report, 'untidy.remap');
  assert.match(report, 'final_cnv');
  assert.match(report, '### surgery plan: ❌');
});

test('the workflow runs the script the tests run, posts the report and fails after posting', () => {
  const workflow = readFileSync(join(ROOT, 'examples/code-review/.github/workflows/remap-review.yml'), 'utf8');
  assert.match(workflow, `bash ${SCRIPT}`);
  assert.match(workflow, 'path: remap-review/report.md');
  assert.match(workflow, 'actions/upload-artifact@v4');
  assert.match(workflow, /if: steps\.review\.outputs\.status != '0'/);
  // Every manifest the bundled surgeries name is in the repository.
  const lines = readFileSync(join(ROOT, 'examples/code-review/surgeries.tsv'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  assert.ok(lines.length >= 1);
  for (const line of lines) for (const file of line.split('\t')) assert.ok(existsSync(join(ROOT, file)), `${file} is listed but missing`);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
