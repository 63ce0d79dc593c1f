/**
 * parse(print(ast)) equals ast for generated patterns with hostile literal text (punctuation, spaces, keywords,
 * quotes, backslashes, non-ASCII). Seeded, so a failure reproduces.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KeyPattern, PatternPart, PatternSegment } from '../../grammar/ast.ts';
import { parseRemap } from '../../grammar/parse-remap.ts';
import { printPattern } from '../../grammar/print-remap.ts';
import { withoutSpans } from './ast-helpers.ts';

/** mulberry32: a small seeded generator, so failures reproduce. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ['a', 'Z', '0', '_', '/', '-', '>', '<', '.', ' ', '"', '\\', '*', '{', '}', ':', '#', '%', '=', '!', 'é', '→'];
const WORDS = ['in', 'drop', 'for', 'steps', 'optional', 'weight', '0', 'camera/image', 'x-y', 'lang_fixed/'];
const at = { file: 't', start: 0, end: 0 };

function literal(rand: () => number): PatternPart {
  if (rand() < 0.5) return { kind: 'Literal', span: at, value: WORDS[Math.floor(rand() * WORDS.length)]!, quoted: false };
  const length = Math.floor(rand() * 6);
  const value = Array.from({ length }, () => ALPHABET[Math.floor(rand() * ALPHABET.length)]).join('');
  return { kind: 'Literal', span: at, value, quoted: false };
}

function wildcard(rand: () => number): PatternPart {
  const name = rand() < 0.4 ? `c${Math.floor(rand() * 9)}` : null;
  return { kind: 'Wildcard', span: at, many: rand() < 0.4, name };
}

/** A segment of alternating literals and wildcards (the parser never yields two adjacent literals, nor `*` then `**`). */
function segment(rand: () => number): PatternSegment {
  const parts: PatternPart[] = [];
  let literalNext = rand() < 0.7;
  for (let i = 0, n = 1 + Math.floor(rand() * 3); i < n; i++) {
    const previous = parts[parts.length - 1];
    let part = literalNext ? literal(rand) : wildcard(rand);
    if (previous?.kind === 'Wildcard' && part.kind === 'Wildcard' && !previous.many && part.many && previous.name === null && part.name === null) {
      part = { ...part, many: false };
    }
    parts.push(part);
    literalNext = !literalNext;
  }
  return { kind: 'PatternSegment', span: at, parts };
}

function pattern(rand: () => number): KeyPattern {
  return { kind: 'KeyPattern', span: at, segments: Array.from({ length: 1 + Math.floor(rand() * 4) }, () => segment(rand)) };
}

/** The AST without spans and without `quoted` (the printer adds quotes where a value needs them). */
function shape(p: KeyPattern): unknown {
  return JSON.parse(JSON.stringify(withoutSpans(p), (k, v) => (k === 'quoted' ? undefined : v)));
}

test('printed patterns parse back to the same pattern (500 generated)', () => {
  const rand = random(20261124);
  for (let i = 0; i < 500; i++) {
    const p = pattern(rand);
    const text = printPattern(p);
    const result = parseRemap(`drop ${text}`, 't');
    assert.equal(result.diagnostics.map((d) => d.message), [], `"${text}" did not parse`);
    const drop = result.file.statements[0]!;
    assert.ok(drop.kind === 'Drop');
    if (drop.kind === 'Drop') assert.equal(shape(drop.pattern), shape(p), `"${text}" changed`);
  }
});

test.run();
