/**
 * Every file in remaps/ parses, passes the semantic checks and is formatted; the DROID → LIBERO remaps are checked
 * against the real key and shape listings in ../shared/reference (tiny fixtures and full-size schemas).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { analyzeRemap, printRemap, type KeyPattern, type RangeDim, type RemapFile, type SliceDim } from '../../grammar/index.ts';
import { describe } from '../grammar/ast-helpers.ts';
import { parseTsvManifest } from '../../src/plan/read-manifest.ts';
import { resolvePlan } from '../../src/plan/resolve-plan.ts';
import { pathToFileURL } from 'node:url';
import { REFERENCE_DIR } from '../support/reference.ts';

const REMAPS = new URL('../../remaps/', import.meta.url);
const REFERENCE = pathToFileURL(REFERENCE_DIR);
const files = readdirSync(REMAPS).filter((f) => f.endsWith('.remap'));

test('remaps/ holds the documented files', () => {
  for (const name of ['strip-module-prefix.remap', 'droid-to-libero.remap', 'droid-to-libero-tiny.remap']) assert.ok(files.includes(name), name);
});

for (const name of files) {
  test(`${name} parses and checks clean, and is formatted`, () => {
    const source = readFileSync(new URL(name, REMAPS), 'utf8');
    const { file, diagnostics } = analyzeRemap(source, name);
    assert.equal(describe(diagnostics, source), []);
    assert.ok(file.statements.length > 0);
    assert.is(printRemap(file, { source }), source, `run: surgery fmt remaps/${name}`);
  });
}

// --- DROID -> LIBERO against the reference listings ------------------------------------------------------------

type Shapes = Map<string, number[]>;
const COMBINE = 'policy.obs_encoder.module.combine.0.weight';

/** Reads `model/nets/<key>\tTensor\t[a, b]` lines and the ordered `shape_metadata/all_shapes` of a contents listing. */
function readContents(name: string): { shapes: Shapes; obs: [string, number[]][] } {
  const shapes: Shapes = new Map();
  const obs: [string, number[]][] = [];
  for (const line of readFileSync(new URL(name, REFERENCE), 'utf8').split('\n')) {
    const [path, type, shape] = line.split('\t');
    if (path?.startsWith('model/nets/') && type === 'Tensor') shapes.set(path.slice('model/nets/'.length), JSON.parse(shape!));
    if (path?.startsWith('shape_metadata/all_shapes/')) obs.push([path.slice('shape_metadata/all_shapes/'.length), JSON.parse(shape!)]);
  }
  return { shapes, obs };
}

/** Reads `key\t64x3x7x7\tfloat32` lines of a full_size/*.tsv schema. */
function readTsv(name: string): Shapes {
  const lines = readFileSync(new URL(`full_size/${name}`, REFERENCE), 'utf8').trim().split('\n');
  return new Map(lines.map((l) => l.split('\t')).map(([key, shape]) => [key!, shape!.split('x').map(Number)]));
}

/**
 * Returns each obs key's column range in combine.0's input: keys in encoder order (`all_shapes` order), low-dim keys
 * as wide as their dimension, images as wide as their VisualCore's output (its Linear `nets.2.weight` rows).
 */
function columns(obs: [string, number[]][], shapes: Shapes): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  let at = 0;
  for (const [key, shape] of obs) {
    const width = shape.length === 3 ? shapes.get(`policy.obs_encoder.module.nets.obs.obs_nets.${key}.nets.2.weight`)![0]! : shape[0]!;
    out.set(key, [at, at + width]);
    at += width;
  }
  return out;
}

/** Whole-key regex for the simple patterns these remaps use (literals, `*`, `**`). */
function regex(p: KeyPattern): RegExp {
  const text = p.segments
    .map((s) => s.parts.map((x) => (x.kind === 'Literal' ? x.value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&') : x.many ? '.*' : '[^.]*')).join(''))
    .join('\\.');
  return new RegExp(`^${text}$`);
}

function literal(p: KeyPattern): string {
  return p.segments.map((s) => s.parts.map((x) => (x.kind === 'Literal' ? x.value : '?')).join('')).join('.');
}

function renameKey(file: RemapFile, key: string): string {
  const renames = file.statements.flatMap((s) => (s.kind === 'Rename' && s.scope === 'segment' ? [[literal(s.from), literal(s.to)]] : []));
  return key
    .split('.')
    .map((segment) => renames.find(([from]) => from === segment)?.[1] ?? segment)
    .join('.');
}

function resolve(dim: SliceDim, file: RemapFile): RangeDim {
  if (dim.kind === 'Range') return dim;
  const found = file.statements.find((s) => s.kind === 'Let' && s.name.value === dim.name);
  assert.ok(found && found.kind === 'Let', `let ${dim.name}`);
  return found.range;
}

const VARIANTS = [
  { remap: 'droid-to-libero-tiny.remap', droid: () => readContents('fork_droid_tiny.contents.txt').shapes, libero: () => readContents('fork_libero_tiny.contents.txt').shapes },
  { remap: 'droid-to-libero.remap', droid: () => readTsv('droid_nets.tsv'), libero: () => readTsv('libero_nets.tsv') },
];

for (const variant of VARIANTS) {
  test(`${variant.remap}: renames, reinits and column blocks match the reference shapes`, () => {
    const source = readFileSync(new URL(variant.remap, REMAPS), 'utf8');
    const file = analyzeRemap(source, variant.remap).file;
    const droid = variant.droid();
    const libero = variant.libero();

    // The camera renames turn every DROID key into a LIBERO key, one to one.
    const renamed = new Map([...droid].map(([key, shape]) => [renameKey(file, key), shape]));
    assert.equal([...renamed.keys()].sort(), [...libero.keys()].sort());

    // Exactly the keys whose shapes differ are reinitialised or assembled, and every pattern matches a real key.
    const differing = [...libero.keys()].filter((k) => renamed.get(k)!.join() !== libero.get(k)!.join()).sort();
    const handled = file.statements.flatMap((s) => (s.kind === 'Reinit' ? [s.pattern] : s.kind === 'Assign' ? [s.target] : []));
    for (const p of handled) assert.ok([...libero.keys()].some((k) => regex(p).test(k)), `${literal(p)} matches no LIBERO key`);
    assert.equal([...libero.keys()].filter((k) => handled.some((p) => regex(p).test(k))).sort(), differing);

    // Column arithmetic: each block moves a camera's features to the renamed camera's columns, whole.
    const tiny = { droid: readContents('fork_droid_tiny.contents.txt').obs, libero: readContents('fork_libero_tiny.contents.txt').obs };
    const droidColumns = columns(tiny.droid, droid);
    const liberoColumns = columns(tiny.libero, libero);
    assert.is([...droidColumns.values()].at(-1)![1], droid.get(COMBINE)![1]);
    assert.is([...liberoColumns.values()].at(-1)![1], libero.get(COMBINE)![1]);
    const assigns = file.statements.filter((s) => s.kind === 'Assign');
    assert.is(assigns.length, 2);
    const moved = assigns.map((s) => {
      assert.ok(s.kind === 'Assign' && s.targetSlice && s.sourceSlice && s.source === null);
      assert.is(literal(s.target), COMBINE);
      const t = resolve(s.targetSlice.dims[1]!, file);
      const f = resolve(s.sourceSlice.dims[1]!, file);
      const from = [...droidColumns].find(([, [a, b]]) => a === f.start && b === f.stop)?.[0];
      const to = [...liberoColumns].find(([, [a, b]]) => a === t.start && b === t.stop)?.[0];
      assert.ok(from && to, `[${t.start}:${t.stop}] <- [${f.start}:${f.stop}] is not a whole camera block`);
      return [renameKey(file, from), to];
    });
    assert.equal(moved, [
      ['agentview_rgb', 'agentview_rgb'],
      ['eye_in_hand_rgb', 'eye_in_hand_rgb'],
    ]);
  });
}

test('droid-to-libero.remap plans the full-size DROID schema onto the LIBERO one with every expectation met', () => {
  const schema = (name: string) => {
    const path = new URL(`full_size/${name}`, REFERENCE);
    return { kind: 'manifest' as const, path: name, stateDicts: parseTsvManifest(readFileSync(path, 'utf8'), name) };
  };
  const text = readFileSync(new URL('droid-to-libero.remap', REMAPS), 'utf8');
  const ast = analyzeRemap(text, 'droid-to-libero.remap').file;
  const plan = resolvePlan({
    source: schema('droid_nets.tsv'),
    target: schema('libero_nets.tsv'),
    remaps: [{ file: 'droid-to-libero.remap', text, ast }],
    mode: 'strict',
    fill: true,
  });
  assert.equal(plan.diagnostics.map((d) => d.message), []);
  const counts: Record<string, number> = {};
  for (const row of plan.stateDicts[0]!.rows) counts[row.status] = (counts[row.status] ?? 0) + 1;
  assert.equal(counts, { renamed: 640, assembled: 1, loaded: 149, reinit: 4 });
  assert.ok(plan.expectations.length === 6 && plan.expectations.every((e) => e.passed));
});

test.run();
