import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { InputError } from '../../src/input-error.ts';
import { formatJsonManifest, parseJsonManifest, parseTsvManifest } from '../../src/plan/read-manifest.ts';
import { REFERENCE } from './plan-helpers.ts';

test('reads the reference full-size TSV schema: every line becomes a key', () => {
  const text = readFileSync(`${REFERENCE}/full_size/droid_nets.tsv`, 'utf8');
  const [dict] = parseTsvManifest(text, 'droid_nets.tsv');
  const lines = text.trim().split('\n');
  assert.is(dict!.name, '*');
  assert.is(dict!.keys.size, lines.length);
  const [key, shape, dtype] = lines[0]!.split('\t');
  assert.equal(dict!.keys.get(key!), { shape: shape!.split('x').map(Number), dtype });
});

test('an empty shape field is a 0-d tensor; torch.-prefixed dtypes are accepted', () => {
  const [dict] = parseTsvManifest('step\t\ttorch.int64\n', 'm.tsv');
  assert.equal(dict!.keys.get('step'), { shape: [], dtype: 'int64' });
});

const bad: Array<[string, string, string]> = [
  ['a\t3x4\n', 'manifest/bad-line', 'm.tsv: line 1: expected "key<TAB>AxBxC<TAB>dtype", found 2 field(s).'],
  ['a\t3x4\tfloat32\nb\t3y4\tfloat32\n', 'manifest/bad-shape', 'm.tsv: line 2: shape "3y4" is not of the form AxBxC.'],
  ['a\t3\tfloat33\n', 'manifest/bad-dtype', 'm.tsv: line 1: unknown dtype "float33" (expected one of float64, float32, float16, bfloat16, int64, int32, int16, int8, uint8, bool, complex64).'],
  ['a\t3\tfloat32\na\t3\tfloat32\n', 'manifest/duplicate-key', 'm.tsv: line 2: key "a" is listed twice.'],
];
for (const [text, code, message] of bad) {
  test(`TSV error ${code} names file and line`, () => {
    try {
      parseTsvManifest(text, 'm.tsv');
      assert.unreachable();
    } catch (error) {
      assert.instance(error, InputError);
      assert.is((error as InputError).code, code);
      assert.is((error as Error).message, message);
    }
  });
}

test('JSON manifest round-trips through formatJsonManifest', () => {
  const dicts = [{ name: 'model.nets', keys: new Map([['w', { shape: [2, 3], dtype: 'float16' as const }]]) }];
  assert.equal(parseJsonManifest(formatJsonManifest(dicts), 'm.json'), dicts);
});

test('JSON manifest errors name the state dict and key', () => {
  const text = JSON.stringify({ format: 'surgery-manifest', version: 1, stateDicts: { 'model.nets': { w: { shape: [2, -1], dtype: 'float32' } } } });
  assert.throws(() => parseJsonManifest(text, 'm.json'), (e: Error) => e.message === 'm.json: state dict "model.nets", key "w": dimension -1 is not a non-negative integer.');
  assert.throws(() => parseJsonManifest('{"format": "other"}', 'm.json'), (e: InputError) => e.code === 'manifest/bad-json');
  assert.throws(() => parseJsonManifest('{"format": "surgery-manifest", "version": 9, "stateDicts": {}}', 'm.json'), (e: InputError) => e.code === 'manifest/version');
});

test.run();
