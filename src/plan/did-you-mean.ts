/** "Did you mean" suggestions for patterns that match nothing, by edit distance against real keys. */

/** Candidates are compared up to this length; real keys are ~150 characters, so this only bounds hostile input. */
const MAX_COMPARED_LENGTH = 400;

/** Returns the candidate closest to `text` when it is close enough to be a plausible typo, else null. */
export function didYouMean(text: string, candidates: Iterable<string>): string | null {
  const limit = Math.max(2, Math.floor(text.length * 0.3));
  let best: string | null = null;
  let bestDistance = limit + 1;
  for (const candidate of new Set(candidates)) {
    if (Math.abs(candidate.length - text.length) >= bestDistance) continue;
    const d = editDistance(text.slice(0, MAX_COMPARED_LENGTH), candidate.slice(0, MAX_COMPARED_LENGTH), bestDistance + 1);
    if (d < bestDistance || (d === bestDistance && best !== null && candidate < best)) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Returns the edit distance of `a` and `b` counting insertions, deletions, substitutions and swaps of
 * two adjacent characters (optimal string alignment), or `cap` once the distance is certain to reach it.
 */
function editDistance(a: string, b: string, cap = Infinity): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, before[j - 2]! + 1);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin >= cap) return cap;
    before = previous;
    previous = current;
  }
  return Math.min(previous[b.length]!, cap);
}
