/**
 * Turns structural segment matches into rename rules: a one-segment rename (`a -> b`, wherever `a` occurs) when that
 * segment occurs in the source only where it is being renamed, otherwise a key rename anchored at the parent
 * (`p.a.** -> p.b.**`). Each rule says what the match rests on and how sure it is.
 */
import type { Confidence, DraftRule } from './draft-file.ts';
import { renameStatement } from './draft-file.ts';
import type { SegmentMatch } from './match-subtrees.ts';
import { startsWith, stripWrappers } from './wrapper-rules.ts';

/**
 * Returns the rename rules for `matches`.
 * @param sourceKeys the source keys (segments) after the wrapper rules.
 * @param targetKeys the target keys (segments), wrappers included, to anchor key renames.
 */
export function renameRules(matches: readonly SegmentMatch[], sourceKeys: readonly string[][], targetKeys: readonly string[][]): DraftRule[] {
  const occurrences = segmentCounts(sourceKeys);
  const segmentRules: DraftRule[] = [];
  const keyRules: Array<{ depth: number; rule: DraftRule }> = [];
  const done = new Set<string>();
  for (const m of matches) {
    const same = matches.filter((o) => o.from === m.from);
    const covered = same.reduce((n, o) => n + o.tensors, 0);
    const global = same.every((o) => o.to === m.to) && occurrences.get(m.from) === covered && !occurrences.has(m.to);
    if (global) {
      if (done.has(m.from)) continue;
      done.add(m.from);
      segmentRules.push({ statement: renameStatement([m.from], [m.to]), why: reason(same, m), confidence: confidence(m) });
      continue;
    }
    const anchor = anchorOf(m, targetKeys);
    if (!anchor) continue;
    const leaf = m.tensors === 1 && m.kind === 'partial' && m.shared === 0;
    const from = [...anchor, m.from, ...(leaf ? [] : ['**'])];
    const to = [...anchor, m.to, ...(leaf ? [] : ['**'])];
    keyRules.push({ depth: anchor.length, rule: { statement: renameStatement(from, to), why: reason([m], m), confidence: confidence(m) } });
  }
  return [...segmentRules, ...keyRules.sort((a, b) => a.depth - b.depth).map((k) => k.rule)];
}

/** Returns how many source keys contain each segment (a key counts once per segment it contains). */
function segmentCounts(keys: readonly string[][]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) for (const s of new Set(key)) counts.set(s, (counts.get(s) ?? 0) + 1);
  return counts;
}

/** Returns the target's actual segments (wrappers included) before `m.to` under `m.parent`. */
function anchorOf(m: SegmentMatch, targetKeys: readonly string[][]): string[] | null {
  for (const key of targetKeys) {
    const plain = stripWrappers(key);
    if (!startsWith(plain, [...m.parent, m.to])) continue;
    let seen = 0;
    for (let i = 0; i < key.length; i++) {
      if (stripWrappers([key[i]!]).length === 0) continue;
      if (seen === m.parent.length) return key.slice(0, i);
      seen++;
    }
  }
  return null;
}

function confidence(m: SegmentMatch): Confidence {
  if (m.alternatives.length > 0) return 'guess';
  return m.kind === 'exact' ? 'certain' : 'likely';
}

function reason(all: readonly SegmentMatch[], m: SegmentMatch): string {
  const where = [...new Set(all.map((o) => o.parent.join('.')))].map((p) => `"${p}"`).join(', ');
  const tensors = all.reduce((n, o) => n + o.tensors, 0);
  let why: string;
  if (m.kind === 'exact') why = `Same structure: under ${where} the source's "${m.from}" and the target's "${m.to}" hold the same ${tensors} tensor(s) with the same shapes in the same order`;
  else if (m.shared === 0) why = `The only tensor of this shape left on either side under ${where}: "${m.from}" -> "${m.to}"`;
  else why = `Closest structure: under ${where}, ${m.shared} relative keys of "${m.from}" (${m.tensors} tensors) also occur under "${m.to}", ${m.sameShape} with the same shape; the rest is handled below`;
  if (m.alternatives.length > 0) {
    why += `. Tie: ${m.alternatives.map((a) => `"${a}"`).join(', ')} fit${m.alternatives.length === 1 ? 's' : ''} exactly as well; picked by order (first with first). The alternative is "${m.from}" -> "${m.alternatives[0]}"; swap the targets of the tied renames if that is the right pairing`;
  }
  return why;
}
