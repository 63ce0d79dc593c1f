/**
 * Collapses runs of keys that differ only in one numeric segment into one line
 * (`down_modules.{0..2}.blocks.0.weight`), so a report of hundreds of keys stays readable.
 */

/** An item to collapse: its key and a signature; only items with equal signatures merge. */
export interface Collapsible<T> {
  key: string;
  signature: string;
  value: T;
}

/** A collapsed line: the key with `{a..b}` / `{a,b,c}` sets, how many keys it stands for, and the first item's value. */
export interface Collapsed<T> {
  key: string;
  count: number;
  value: T;
}

interface Item<T> {
  segments: Array<string | number[]>;
  signature: string;
  count: number;
  value: T;
}

/** Returns `items` collapsed, in order of first occurrence; deepest numeric positions merge first. */
export function collapseKeys<T>(items: Array<Collapsible<T>>): Array<Collapsed<T>> {
  let list: Array<Item<T>> = items.map((i) => ({
    segments: i.key.split('.').map((s) => (/^(0|[1-9]\d*)$/.test(s) ? [Number(s)] : s)),
    signature: i.signature,
    count: 1,
    value: i.value,
  }));
  const depth = Math.max(0, ...list.map((i) => i.segments.length));
  for (let p = depth - 1; p >= 0; p--) list = mergeAt(list, p);
  return list.map((i) => ({ key: i.segments.map(formatSegment).join('.'), count: i.count, value: i.value }));
}

function mergeAt<T>(list: Array<Item<T>>, p: number): Array<Item<T>> {
  const out: Array<Item<T>> = [];
  const byTemplate = new Map<string, Item<T>>();
  for (const item of list) {
    const here = item.segments[p];
    if (!Array.isArray(here)) {
      out.push(item);
      continue;
    }
    const template = `${item.segments.length}\0${item.signature}\0${item.segments.map((s, i) => (i === p ? '#' : formatSegment(s))).join('.')}`;
    const seen = byTemplate.get(template);
    if (seen) {
      (seen.segments[p] as number[]).push(...here);
      seen.count += item.count;
      continue;
    }
    const copy = { ...item, segments: [...item.segments] };
    copy.segments[p] = [...here];
    byTemplate.set(template, copy);
    out.push(copy);
  }
  return out;
}

function formatSegment(segment: string | number[]): string {
  if (typeof segment === 'string') return segment;
  const sorted = [...new Set(segment)].sort((a, b) => a - b);
  if (sorted.length === 1) return String(sorted[0]);
  const contiguous = sorted.every((v, i) => i === 0 || v === sorted[i - 1]! + 1);
  return contiguous ? `{${sorted[0]}..${sorted.at(-1)}}` : `{${sorted.join(',')}}`;
}
