import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseClean } from '../ast-helpers.ts';
import { contradiction } from '../../../grammar/checks/contradiction.ts';
import { checkTable } from './check-table.ts';

checkTable(contradiction, [
  ['different keys are fine', 'drop a.**\nb.x -> c.x\nreinit d\nallow missing e', []],
  ['a segment rename is not a key rename', 'drop cam\ncam -> camera', []],
  [
    'the same pattern dropped and renamed',
    'drop a.**\na.** -> b.**',
    ['2:1 remap/contradiction: "a.**" is both dropped and renamed; keep one of the two statements'],
  ],
  [
    'a key renamed that a drop pattern matches',
    'x.y.w -> z.w\ndrop x.**.w',
    ['2:1 remap/contradiction: "x.**.w" is both dropped and renamed; keep one of the two statements'],
  ],
  [
    'reinit and allow missing on the same key',
    'reinit head.*\nallow missing head.bias',
    ['2:1 remap/contradiction: "head.bias" is both reinitialised and allowed to be missing (reinit gives it a value, so it is never missing); keep one of the two statements'],
  ],
  ['a leading ** matches keys with any prefix', 'drop **.lang\na.b.lang -> c', ['2:1 remap/contradiction: "a.b.lang" is both dropped and renamed; keep one of the two statements']],
  ['** matches zero segments too', 'drop a.**.b\na.b -> c', ['2:1 remap/contradiction: "a.b" is both dropped and renamed; keep one of the two statements']],
  ['* does not cross a dot', 'drop a.*\na.b.c -> d', []],
]);

test('a contradiction points at both statements, the later one first', () => {
  const source = 'drop a.x\na.x -> b.x\n';
  const [d] = contradiction.check(parseClean(source));
  assert.equal(d!.spans.map((s) => source.slice(s.start, s.end)), ['a.x -> b.x', 'drop a.x']);
});

test.run();
