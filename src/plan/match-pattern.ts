/**
 * Matching state-dict keys against the remap language's key patterns, and filling a rename's
 * right-hand side from what its left-hand side captured (semantics in `grammar/ast.ts`).
 */
import type { KeyPattern, PatternPart, PatternSegment } from '../../grammar/index.ts';

/** What a pattern's wildcards matched: anonymous ones by position per kind, named ones by name. */
export interface Captures {
  one: string[];
  many: string[];
  named: Map<string, string>;
}

/** A pattern compiled once and matched against many keys. */
export interface CompiledPattern {
  /** Returns the captures when `key` matches the whole pattern, else null. */
  match(key: string): Captures | null;
  /** The pattern's literal parts: text that any key it matches contains. */
  literals: string[];
}

interface Group {
  many: boolean;
  name: string | null;
}

/** Returns a matcher for whole keys (`a.**.b`, `policy.*.weight`). */
export function compilePattern(pattern: KeyPattern): CompiledPattern {
  const groups: Group[] = [];
  const source = wholeKeyRegex(pattern.segments, groups);
  return regexMatcher(new RegExp(`^${source}$`, 's'), groups, pattern.segments.flatMap((s) => literalsOf(s.parts)));
}

/** Returns a matcher for one key segment (the left side of a segment rename). */
export function compileSegment(segment: PatternSegment): CompiledPattern {
  const groups: Group[] = [];
  return regexMatcher(new RegExp(`^${segmentRegex(segment.parts, groups)}$`, 's'), groups, literalsOf(segment.parts));
}

/** Returns `key` with every segment matching `from` rewritten to `to`, or null when no segment matches. */
export function renameSegments(key: string, from: CompiledPattern, to: PatternSegment): string | null {
  // Most keys of a state dict hold no segment a rename names: skip splitting them (a plan renames thousands).
  if (!from.literals.every((text) => key.includes(text))) return null;
  let changed = false;
  const segments = key.split('.').map((segment) => {
    const captures = from.match(segment);
    if (!captures) return segment;
    changed = true;
    return fillParts(to.parts, captures, { one: 0, many: 0 });
  });
  return changed ? segments.join('.') : null;
}

/** Returns the key that `to` describes once its wildcards are filled from `captures`. */
export function substitute(to: KeyPattern, captures: Captures): string {
  const cursor = { one: 0, many: 0 };
  const out: string[] = [];
  for (const segment of to.segments) {
    const text = fillParts(segment.parts, captures, cursor);
    // A `**` that matched zero segments leaves no empty segment behind (`a.**.b` → `a.b`).
    if (text === '' && isGlobstar(segment)) continue;
    out.push(text);
  }
  return out.join('.');
}

/** Returns the pattern as it would be written in a `.remap` file, for messages. */
export function formatPattern(pattern: KeyPattern): string {
  return pattern.segments.map(formatSegment).join('.');
}

/** Returns one segment as written in a `.remap` file. */
export function formatSegment(segment: PatternSegment): string {
  return segment.parts.map(formatPart).join('');
}

/** Returns whether the pattern has no wildcard, i.e. names exactly one key. */
export function isLiteralPattern(pattern: KeyPattern): boolean {
  return pattern.segments.every((s) => s.parts.every((p) => p.kind === 'Literal'));
}

function formatPart(part: PatternPart): string {
  if (part.kind === 'Literal') return /^[^\s.#"*{}\[\]:,<>=!%()-]+$/.test(part.value) && !part.quoted ? part.value : JSON.stringify(part.value);
  if (part.name === null) return part.many ? '**' : '*';
  return part.many ? `{${part.name}:**}` : `{${part.name}}`;
}

function isGlobstar(segment: PatternSegment): boolean {
  return segment.parts.length === 1 && segment.parts[0]!.kind === 'Wildcard' && segment.parts[0]!.many;
}

// A globstar segment takes its neighbouring '.' into an optional group so it can match zero segments.
function wholeKeyRegex(segments: PatternSegment[], groups: Group[]): string {
  let out = '';
  segments.forEach((segment, i) => {
    const previousGlob = i > 0 && isGlobstar(segments[i - 1]!);
    if (!isGlobstar(segment)) {
      out += (i > 0 && !previousGlob ? '\\.' : '') + segmentRegex(segment.parts, groups);
      return;
    }
    const part = segment.parts[0] as Extract<PatternPart, { kind: 'Wildcard' }>;
    groups.push({ many: true, name: part.name });
    if (segments.length === 1) out += '(.*)';
    else if (i === segments.length - 1) out += previousGlob ? '(.*)' : '(?:\\.(.+))?';
    else out += (i > 0 && !previousGlob ? '\\.' : '') + '(?:(.+)\\.)?';
  });
  return out;
}

function segmentRegex(parts: PatternPart[], groups: Group[]): string {
  return parts
    .map((part) => {
      if (part.kind === 'Literal') return escapeRegex(part.value);
      groups.push({ many: part.many, name: part.name });
      return part.many ? '(.*)' : '([^.]*)';
    })
    .join('');
}

function literalsOf(parts: PatternPart[]): string[] {
  return parts.flatMap((part) => (part.kind === 'Literal' && part.value !== '' ? [part.value] : []));
}

function regexMatcher(regex: RegExp, groups: Group[], literals: string[]): CompiledPattern {
  return {
    literals,
    match(key) {
      const m = regex.exec(key);
      if (!m) return null;
      const captures: Captures = { one: [], many: [], named: new Map() };
      groups.forEach((group, i) => {
        const value = m[i + 1] ?? '';
        if (group.name !== null) captures.named.set(group.name, value);
        else (group.many ? captures.many : captures.one).push(value);
      });
      return captures;
    },
  };
}

function fillParts(parts: PatternPart[], captures: Captures, cursor: { one: number; many: number }): string {
  return parts
    .map((part) => {
      if (part.kind === 'Literal') return part.value;
      if (part.name !== null) return captures.named.get(part.name) ?? '';
      const list = part.many ? captures.many : captures.one;
      const index = part.many ? cursor.many++ : cursor.one++;
      return list[index] ?? '';
    })
    .join('');
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}
