import { test } from 'uvu';
import { unboundCapture } from '../../../grammar/checks/unbound-capture.ts';
import { checkTable } from './check-table.ts';

checkTable(unboundCapture, [
  ['bound captures and matching anonymous wildcards are fine', '{p:**}.{cam}_rgb.* -> {p:**}.{cam}.*\nt.{i}.w[0:2] <- source s.{i}.w[0:2]', []],
  ['fewer wildcards on the right is fine', 'a.*.*.b -> c.*', []],
  [
    'a named capture the left does not bind',
    'x.{a} -> y.{b}',
    ["1:12 remap/unbound-capture: capture \"{b}\" is not bound by the key pattern before '->'"],
  ],
  [
    'more anonymous * on the right than on the left',
    'a.* -> b.*.*',
    ["1:12 remap/unbound-capture: this '*' has no '*' to take its text from before '->' (anonymous wildcards are filled by position)"],
  ],
  [
    '** on the right with only * on the left',
    'a.* -> b.**',
    ["1:10 remap/unbound-capture: this '**' has no '**' to take its text from before '->' (anonymous wildcards are filled by position)"],
  ],
  [
    'a source key using a capture the target does not bind',
    't.w <- source s.{i}.w',
    ["1:17 remap/unbound-capture: capture \"{i}\" is not bound by the key pattern before '<- source'"],
  ],
]);

test.run();
