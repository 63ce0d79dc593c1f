/**
 * `remap/contradiction`: two statements that cannot both hold for the same key — a key both dropped and renamed, or
 * both reinitialised and allowed to be missing. "The same key" means the same pattern text, or a key written out in
 * full that the other statement's pattern matches. Segment renames (`cam -> camera`) rename parts of many keys and
 * are left out. (Overlaps only the checkpoints reveal are the planner's business.)
 */
import type { Diagnostic } from '../../src/diagnostics.ts';
import type { KeyPattern, PatternPart, RemapFile, Statement } from '../ast.ts';
import { printPattern } from '../print-remap.ts';
import { error, type CheckRule } from './check-rule.ts';

const CODE = 'remap/contradiction';

/** Statement pairs that contradict each other on a shared key, and what to call each side. */
const PAIRS: readonly { a: (s: Statement) => KeyPattern | null; b: (s: Statement) => KeyPattern | null; say: string }[] = [
  {
    a: (s) => (s.kind === 'Drop' ? s.pattern : null),
    b: (s) => (s.kind === 'Rename' && s.scope === 'key' ? s.from : null),
    say: 'both dropped and renamed',
  },
  {
    a: (s) => (s.kind === 'Reinit' ? s.pattern : null),
    b: (s) => (s.kind === 'Allow' && s.what === 'missing' ? s.pattern : null),
    say: "both reinitialised and allowed to be missing (reinit gives it a value, so it is never missing)",
  },
];

/** Reports statements that contradict each other on a shared key. */
export const contradiction: CheckRule = {
  codes: [CODE],
  check(file: RemapFile): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const pair of PAIRS) {
      const as = file.statements.flatMap((s) => side(s, pair.a(s)));
      const bs = file.statements.flatMap((s) => side(s, pair.b(s)));
      for (const [a, b] of overlapping(as, bs)) {
        const [first, second] = a.s.span.start < b.s.span.start ? [a, b] : [b, a];
        out.push(error(CODE, `"${second.text}" is ${pair.say}; keep one of the two statements`, [second.s.span, first.s.span]));
      }
    }
    return out.sort((x, y) => x.spans[0]!.start - y.spans[0]!.start);
  },
};

/** A statement's pattern with what comparing it needs, computed once (files can hold thousands of statements). */
interface Side {
  s: Statement;
  text: string;
  /** The key it names when it has no wildcards. */
  literal: string | null;
  regex: RegExp;
  /** Its last segment when that is plain text: a key it matches must end with that segment. */
  lastSegment: string | null;
}

function side(s: Statement, p: KeyPattern | null): Side[] {
  if (!p) return [];
  const last = p.segments[p.segments.length - 1]!.parts;
  const lastSegment = last.every((part) => part.kind === 'Literal') ? last.map((part) => (part.kind === 'Literal' ? part.value : '')).join('') : null;
  return [{ s, text: printPattern(p), literal: literalKey(p), regex: toRegExp(p), lastSegment }];
}

/**
 * Returns the pairs (a, b) that name a shared key: equal text, or a literal key on one side that the other side's
 * pattern matches. Patterns are bucketed by last segment so that large files do not compare every pair.
 */
function overlapping(as: Side[], bs: Side[]): [Side, Side][] {
  const found: [Side, Side][] = [];
  const seen = new Map<Side, Set<Side>>();
  const add = (a: Side, b: Side): void => {
    const partners = seen.get(a) ?? seen.set(a, new Set()).get(a)!;
    if (!partners.has(b)) found.push([a, b]);
    partners.add(b);
  };
  const bByText = groupBy(bs, (b) => b.text);
  for (const a of as) for (const b of bByText.get(a.text) ?? []) add(a, b);
  const matchLiterals = (literals: Side[], patterns: Side[], record: (literal: Side, pattern: Side) => void): void => {
    const byLast = groupBy(patterns.filter((p) => p.lastSegment !== null), (p) => p.lastSegment!);
    const open = patterns.filter((p) => p.lastSegment === null);
    for (const l of literals) {
      if (l.literal === null) continue;
      for (const p of [...(byLast.get(l.lastSegment!) ?? []), ...open]) if (p.text !== l.text && p.regex.test(l.literal)) record(l, p);
    }
  };
  matchLiterals(as, bs, (a, b) => add(a, b));
  matchLiterals(bs, as, (b, a) => add(a, b));
  return found;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** Returns the key a wildcard-free pattern names, or null when it has wildcards. */
function literalKey(p: KeyPattern): string | null {
  const parts = p.segments.map((s) => s.parts);
  if (parts.some((ps) => ps.some((part) => part.kind === 'Wildcard'))) return null;
  return parts.map((ps) => ps.map((part) => (part.kind === 'Literal' ? part.value : '')).join('')).join('.');
}

/** Returns a whole-key regex for `p`, with the matching rules of `ast.ts` (a `**` segment matches zero or more segments). */
function toRegExp(p: KeyPattern): RegExp {
  let source = '';
  let needDot = false;
  p.segments.forEach((segment, i) => {
    const [only] = segment.parts;
    if (segment.parts.length === 1 && only!.kind === 'Wildcard' && only!.many) {
      // First: any leading segments (with their dot) or none. Later: any trailing dot-segments or none.
      if (i === 0) source += p.segments.length === 1 ? '.*' : '(?:.*\\.)?';
      else source += '(?:\\..*)?';
      needDot = i > 0;
      return;
    }
    source += (needDot ? '\\.' : '') + segment.parts.map(partRegex).join('');
    needDot = true;
  });
  return new RegExp(`^${source}$`, 's');
}

function partRegex(part: PatternPart): string {
  if (part.kind === 'Literal') return part.value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return part.many ? '.*' : '[^.]*';
}
