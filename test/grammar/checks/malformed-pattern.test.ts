import { test } from 'uvu';
import { malformedPattern } from '../../../grammar/checks/malformed-pattern.ts';
import { checkTable } from './check-table.ts';

checkTable(malformedPattern, [
  ['ordinary patterns are fine', 'drop a.**.b*\nreinit {x}.w_{y}', []],
  ['a ** segment in the middle of a segment is fine', 'drop **.lang_fixed/**', []],
  ['two ** segments in a row', 'drop a.**.**.b', ["1:11 remap/malformed-pattern: \"a.**.**.b\" has two '**' segments in a row, which match the same keys as one; write one"]],
  [
    'two wildcards side by side',
    'drop a.*{x}',
    ['1:8 remap/malformed-pattern: "a.*{x}" has two wildcards side by side, so what each matches is ambiguous; put text between them or keep one'],
  ],
  ['a capture bound twice', 'reinit {x}.{x}', ['1:12 remap/malformed-pattern: capture "{x}" is bound twice in "{x}.{x}"; rename one']],
  ['an empty quoted segment', 'drop a."".b', ['1:8 remap/malformed-pattern: "a."".b" has an empty key segment']],
  ['templates may repeat and stack wildcards', '**.module.** -> **.**\n{a}.x -> {a}.{a}', []],
  ['templates may not have empty segments', 'a.** -> "".**', ['1:9 remap/malformed-pattern: """.**" has an empty key segment']],
]);

test.run();
