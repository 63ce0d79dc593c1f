/**
 * Collapses runs of state-dict keys that differ only in one numeric path segment and share shape
 * and dtype (`layer.0.norm.weight` … `layer.11.norm.weight` → `layer.{0..11}.norm.weight`).
 */

/** One listed key, or a run of keys standing for `count` of them. */
export interface KeyLine {
  key: string;
  shape: number[];
  dtype: string;
  /** How many keys this line stands for (1 for a plain key). */
  count: number;
}

/** Runs shorter than this are listed key by key. */
export const MIN_RUN = 3;

/** Returns `lines` (in order) with every run of at least MIN_RUN keys merged into its first member's place. */
export function collapseRuns(lines: KeyLine[]): KeyLine[] {
  const groups = new Map<string, number[]>();
  const candidates = lines.map((line, index) => {
    const segments = line.key.split('.');
    return segments.flatMap((segment, position) => {
      if (!/^\d+$/.test(segment)) return [];
      const template = [...segments.slice(0, position), '\u0000', ...segments.slice(position + 1)].join('.');
      const group = `${template}\u0001${line.shape.join(',')}\u0001${line.dtype}`;
      groups.set(group, [...(groups.get(group) ?? []), index]);
      return [{ group, template, number: Number(segment) }];
    });
  });
  const consumed = new Set<number>();
  const out: KeyLine[] = [];
  lines.forEach((line, index) => {
    if (consumed.has(index)) return;
    for (const candidate of candidates[index]!) {
      const members = groups.get(candidate.group)!.filter((member) => !consumed.has(member));
      if (members.length < MIN_RUN) continue;
      const numbers = members.map((member) => candidates[member]!.find((entry) => entry.group === candidate.group)!.number);
      members.forEach((member) => consumed.add(member));
      out.push({ ...line, key: candidate.template.replace('\u0000', `{${ranges(numbers)}}`), count: members.length });
      return;
    }
    consumed.add(index);
    out.push(line);
  });
  return out;
}

/** Returns sorted numbers as ranges: `0..11`, `0,2,4`, `0..3,7..9`. */
export function ranges(numbers: number[]): string {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let start = 0; start < sorted.length; ) {
    let end = start;
    while (end + 1 < sorted.length && sorted[end + 1] === sorted[end]! + 1) end++;
    parts.push(end - start >= 2 ? `${sorted[start]}..${sorted[end]}` : sorted.slice(start, end + 1).join(','));
    start = end + 1;
  }
  return parts.join(',');
}
