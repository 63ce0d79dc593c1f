import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildReportModel, REPORT_VERSION } from '../../src/report/report-model.ts';
import { renderReport } from '../../src/report/render-report.ts';
import { renderMarkdown } from '../../src/report/render-markdown.ts';
import { wantsColour } from '../../src/report/paint.ts';
import { renderText } from '../../src/report/render-text.ts';
import { manifest, plan, referenceTsv, remap, REFERENCE } from '../plan/plan-helpers.ts';

const GOLDEN = fileURLToPath(new URL('./golden/', import.meta.url));

/** Replaces machine-specific paths so golden files hold only what the renderer decides. */
function serialize(text: string): string {
  return text.replaceAll(REFERENCE, '<reference>');
}

function golden(name: string, actual: string): void {
  const path = `${GOLDEN}${name}`;
  const text = serialize(actual);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) writeFileSync(path, text);
  assert.fixture(text, readFileSync(path, 'utf8'));
}

// One plan that shows every status: renamed, loaded, assembled, reinit, filled, dropped, unexpected (allowed),
// a size mismatch, an expectation that passes and one that fails.
const SOURCE = manifest({
  'model.nets': { 'enc.0.w': [4, 3], 'enc.1.w': [4, 3], 'enc.2.w': [4, 3], 'proj.w': [8, 5], 'head.w': [10, 4], 'head.b': [10], 'lang.emb': [5], 'old.x': [1] },
}, 'source.json');
const TARGET = manifest({
  'model.nets': { 'encoder.0.w': [4, 3], 'encoder.1.w': [4, 3], 'encoder.2.w': [4, 3], 'proj.w': [8, 6], 'head.w': [7, 4], 'head.b': [7], 'norm.weight': [4], 'gate.w': [3, 3] },
}, 'target.json');
const TEXT = `version 1
enc -> encoder
drop lang.*
proj.w[:, 0:5] <- [:, 0:5]
reinit head.*
allow unexpected old.**
expect reinit within head.**
expect loaded >= 90% params
`;
const sample = () => plan(SOURCE, TARGET, [remap(TEXT, 'sample.remap')]);
const sources = new Map([['sample.remap', TEXT]]);

test('golden: markdown, json and text (no colour) of a plan with every status', () => {
  const model = buildReportModel(sample(), sources);
  golden('sample.md', renderReport(model, 'md'));
  golden('sample.json', renderReport(model, 'json'));
  golden('sample.txt', renderReport(model, 'text', false));
});

test('the sample plan has the statuses the golden files show', () => {
  const p = sample();
  assert.equal(p.stateDicts[0]!.rows.map((r) => `${r.key}:${r.status}`), [
    'encoder.0.w:renamed', 'encoder.1.w:renamed', 'encoder.2.w:renamed', 'proj.w:assembled', 'head.w:reinit', 'head.b:reinit',
    'norm.weight:filled', 'gate.w:filled', 'old.x:unexpected', 'lang.emb:dropped',
  ]);
  assert.equal(p.diagnostics.map((d) => d.code), ['load/missing', 'load/missing', 'expect/failed']);
});

test('json report is versioned and round-trips through JSON.parse', () => {
  const json = JSON.parse(renderReport(buildReportModel(sample(), sources), 'json'));
  assert.is(json.schema, 'surgery-plan-report');
  assert.is(json.version, REPORT_VERSION);
  assert.equal(json.verdict, { strict: { ok: false, errors: 3 }, loose: { ok: false, errors: 1 } });
  assert.is(json.diagnostics[2].at, 'sample.remap:8:1');
});

test('markdown says plainly that strict=False does not forgive size mismatches', () => {
  const p = plan(SOURCE, TARGET, [], { mode: 'loose' });
  const mismatches = p.diagnostics.filter((d) => d.code === 'load/size-mismatch').length;
  assert.is(mismatches, 3);
  const md = renderMarkdown(buildReportModel(p, new Map()));
  assert.match(md, '`strict=False` forgives only missing and unexpected keys. A size mismatch fails in either mode.');
  assert.match(md, `| \`load_state_dict(strict=False)\` | ❌ fails (${mismatches} errors) |`);
});

test('golden: full-size DROID → LIBERO plan in markdown, under the comment size cap', () => {
  const text = `in model.nets, model.ema
camera/image/varied_camera_1_left_image -> agentview_rgb
camera/image/varied_camera_2_left_image -> eye_in_hand_rgb
`;
  const p = plan(referenceTsv('droid_nets'), referenceTsv('libero_nets'), [remap(text, 'cameras.remap')]);
  const md = renderMarkdown(buildReportModel(p, new Map([['cameras.remap', text]])));
  assert.ok(md.length <= 60_000);
  golden('full-size-cameras.md', md);
});

test('markdown folds module tables to fit a smaller cap, interesting modules last', () => {
  const p = plan(referenceTsv('droid_nets'), referenceTsv('libero_nets'), []);
  const md = renderMarkdown(buildReportModel(p, new Map()), 20_000);
  assert.ok(md.length <= 20_000, String(md.length));
  assert.match(md, 'rows omitted to fit a comment');
  // The modules with problems keep their tables: the combine mismatch is still listed row by row.
  assert.match(md, '| `….0.weight` | ❌ size-mismatch | [1024, 1031] | [1024, 1032] |');
});

test('identical state dicts are reported once; a state dict that differs gets its own section', () => {
  const source = manifest({ 'model.nets': { w: [2, 2], b: [2] }, 'model.ema': { w: [2, 2], b: [3] } });
  const target = manifest({ 'model.nets': { w: [2, 2], b: [2] }, 'model.ema': { w: [2, 2], b: [2] } });
  const model = buildReportModel(plan(source, target, []), new Map());
  assert.equal(model.sections.map((s) => s.stateDicts), [['model.nets'], ['model.ema']]);
  assert.equal(model.diagnostics.map((d) => d.message), ['Size mismatch for "b": copying a param with shape [3] from checkpoint, the shape in current model is [2]. (only in "model.ema")']);
  const same = buildReportModel(plan(target, target, []), new Map());
  assert.equal(same.sections.map((s) => s.stateDicts), [['model.nets', 'model.ema']]);
});

test('an optional rule that matched nothing is reported as info: a note on the rule, not a warning', () => {
  const text = 'optional **._orig_mod.** -> **.**\ndrop lang.emd\n';
  const source = manifest({ sd: { 'lang.emb': [5] } });
  const model = buildReportModel(plan(source, null, [remap(text, 'strip.remap')]), new Map([['strip.remap', text]]));
  assert.equal(model.rules.map((r) => [r.warnings, r.notes]), [[[], ['optional, matches nothing']], [['matches nothing'], []]]);
  assert.equal(model.diagnostics.map((d) => `${d.severity} ${d.at}`), ['error strip.remap:2:6', 'info strip.remap:1:10']);
  const md = renderMarkdown(model);
  assert.match(md, '| strip.remap:1 | `optional **._orig_mod.** -> **.**` | 0 | ℹ️ optional, matches nothing |');
  assert.match(md, '| strip.remap:2 | `drop lang.emd` | 0 | ⚠️ matches nothing |');
  assert.match(md, '- ℹ️ `remap/no-match` at `strip.remap:1:10`: Pattern "**._orig_mod.**" matches no key (the rule is optional).');
  const txt = renderText(model, false);
  assert.match(txt, 'optional **._orig_mod.** -> **.**  (optional, matches nothing)');
  assert.match(txt, 'info remap/no-match strip.remap:1:10: Pattern "**._orig_mod.**" matches no key (the rule is optional).');
  // In colour, notes are dim and warnings red.
  assert.match(renderText(model, true), '\x1b[2m  (optional, matches nothing)\x1b[0m');
  assert.match(renderText(model, true), '\x1b[31m  (matches nothing)\x1b[0m');
});

test('text report: colour only when asked; NO_COLOR and non-TTY turn it off', () => {
  const model = buildReportModel(sample(), sources);
  assert.match(renderText(model, true), '\x1b[');
  assert.not.match(renderText(model, false), '\x1b[');
  assert.ok(wantsColour({ isTTY: true }, {}));
  assert.not.ok(wantsColour({ isTTY: true }, { NO_COLOR: '1' }));
  assert.not.ok(wantsColour({ isTTY: false }, {}));
});

test.run();
