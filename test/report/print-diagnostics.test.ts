import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Diagnostic } from '../../src/diagnostics.ts';
import { lineColumn } from '../../src/report/line-index.ts';
import { locateDiagnostics, printDiagnostics } from '../../src/report/print-diagnostics.ts';

const SOURCE = 'drop a\nfoo.bar\n\treinit x with kaimin\n';
const sources = (file: string) => (file === 'x.remap' ? SOURCE : undefined);
const at = (start: number, end: number, file = 'x.remap') => ({ file, start, end });
const diag = (spans: Diagnostic['spans'], extra: Partial<Diagnostic> = {}): Diagnostic => ({
  code: 'remap/test',
  severity: 'error',
  message: 'something is wrong',
  spans,
  ...extra,
});

test('lineColumn is 1-based and counts \\n, \\r\\n and \\r as line breaks', () => {
  assert.equal(lineColumn('ab\ncd', 0), { line: 1, column: 1 });
  assert.equal(lineColumn('ab\ncd', 4), { line: 2, column: 2 });
  assert.equal(lineColumn('ab\r\ncd', 4), { line: 2, column: 1 });
  assert.equal(lineColumn('ab\rcd', 3), { line: 2, column: 1 });
  assert.equal(lineColumn('ab', 99), { line: 1, column: 3 });
});

test('prints file:line:col, the message with its code, a line of context and a caret under the span', () => {
  const text = printDiagnostics([diag([at(11, 14)])], sources);
  assert.is(
    text,
    ['x.remap:2:5: error: something is wrong [remap/test]', '  1 | drop a', '> 2 | foo.bar', '    |     ^^^'].join('\n'),
  );
});

test('the caret lines up under tabs, and an empty span (end of line) still gets one caret', () => {
  const start = SOURCE.indexOf('kaimin');
  assert.is(
    printDiagnostics([diag([at(start, start + 6)])], sources).split('\n').slice(-2).join('\n'),
    ['> 3 | \treinit x with kaimin', '    | \t              ^^^^^^'].join('\n'),
  );
  assert.is(printDiagnostics([diag([at(14, 14)])], sources).split('\n').at(-1), '    |        ^');
});

test('related spans get a note with their own frame; the hint comes last', () => {
  const text = printDiagnostics([diag([at(7, 14), at(0, 6)], { hint: 'remove one' })], sources);
  assert.is(
    text,
    [
      'x.remap:2:1: error: something is wrong [remap/test]',
      '  1 | drop a',
      '> 2 | foo.bar',
      '    | ^^^^^^^',
      'x.remap:1:1: note: related location',
      '> 1 | drop a',
      '    | ^^^^^^',
      '  = hint: remove one',
    ].join('\n'),
  );
});

test('NaN offsets (chevrotain recovered tokens) and unknown sources print the file name alone, without a frame', () => {
  assert.is(printDiagnostics([diag([at(Number.NaN, Number.NaN)])], sources), 'x.remap: error: something is wrong [remap/test]');
  assert.is(printDiagnostics([diag([at(-1, -1)])], sources), 'x.remap: error: something is wrong [remap/test]');
  assert.is(printDiagnostics([diag([at(0, 3, 'other.remap')])], sources), 'other.remap: error: something is wrong [remap/test]');
  assert.is(printDiagnostics([diag([])], sources), 'error: something is wrong [remap/test]');
});

test('a span over several lines is underlined to the end of its first line', () => {
  assert.is(printDiagnostics([diag([at(2, 10)])], sources).split('\n').at(-1), '    |   ^^^^');
});

test('diagnostics are separated by a blank line; colour wraps the severity and caret in ANSI codes', () => {
  const two = printDiagnostics([diag([at(0, 1)]), diag([at(7, 8)])], sources);
  assert.is(two.split('\n\n').length, 2);
  const colored = printDiagnostics([diag([at(0, 1)])], sources, { colour: true });
  assert.ok(colored.includes('\u001b[31merror\u001b[0m'));
  assert.ok(colored.includes('\u001b[31m^\u001b[0m'));
});

test('locateDiagnostics adds 1-based start and end positions to spans it can place', () => {
  const [located] = locateDiagnostics([diag([at(11, 14), at(Number.NaN, Number.NaN)])], sources);
  assert.equal(located!.spans, [
    { file: 'x.remap', start: 11, end: 14, line: 2, column: 5, endLine: 2, endColumn: 8 },
    { file: 'x.remap', start: Number.NaN, end: Number.NaN },
  ]);
});

test.run();
