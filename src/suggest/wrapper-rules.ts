/**
 * Wrapper segments: `torch.nn.DataParallel` / `DistributedDataParallel` keep the wrapped model as `.module`, and
 * `torch.compile` as `._orig_mod`, so the same parameter is `policy.obs_encoder.module.x` on one side and
 * `policy.obs_encoder.x` on the other. This finds where one side has a wrapper the other lacks and returns the
 * key renames that strip or add it.
 */
import { renameStatement, type DraftRule } from './draft-file.ts';

/** The segments that wrapping modules add to every key below them. */
export const WRAPPER_SEGMENTS: ReadonlySet<string> = new Set(['module', '_orig_mod']);

/** Returns `key` (as segments) without its wrapper segments. */
export function stripWrappers(key: readonly string[]): string[] {
  return key.filter((s) => !WRAPPER_SEGMENTS.has(s));
}

/** Returns the rules that give the source keys the target's wrappers, and the source keys after them. */
export function wrapperRules(sourceKeys: readonly string[][], targetKeys: readonly string[][]): { rules: DraftRule[]; keys: string[][] } {
  const wanted = wrapperPlaces(targetKeys);
  let keys = sourceKeys.map((k) => [...k]);
  const rules: DraftRule[] = [];
  for (const place of [...wrapperPlaces(keys)].filter((p) => !wanted.has(p))) {
    const [prefix, wrapper] = splitPlace(place);
    for (let at = findWrapped(keys, prefix, wrapper); at !== null; at = findWrapped(keys, prefix, wrapper)) {
      const before = at.key.slice(0, at.index);
      const n = keys.filter((k) => startsWith(k, [...before, wrapper])).length;
      rules.push({
        statement: renameStatement([...before, wrapper, '**'], [...before, '**']),
        why: `Strip the "${wrapper}" wrapper: the source's ${n} keys under "${[...before, wrapper].join('.')}" are a wrapped module the target stores unwrapped`,
        confidence: 'certain',
      });
      keys = keys.map((k) => (startsWith(k, [...before, wrapper]) ? [...before, ...k.slice(before.length + 1)] : k));
    }
  }
  for (const place of [...wanted].filter((p) => !wrapperPlaces(keys).has(p))) {
    const [prefix, wrapper] = splitPlace(place);
    const under = keys.find((k) => startsWith(stripWrappers(k), prefix) && k.length > prefix.length);
    if (!under) continue;
    const before = actualPrefix(under, prefix.length);
    const n = keys.filter((k) => startsWith(k, before)).length;
    rules.push({
      statement: renameStatement([...before, '**'], [...before, wrapper, '**']),
      why: `Add the "${wrapper}" wrapper: the target stores the module at "${before.join('.') || '<root>'}" wrapped (${n} source keys under it)`,
      confidence: 'certain',
    });
    keys = keys.map((k) => (startsWith(k, before) && k.length > before.length ? [...before, wrapper, ...k.slice(before.length)] : k));
  }
  return { rules, keys };
}

/** Returns where the keys have wrappers: `<stripped prefix>\0<wrapper>` for every wrapper segment of every key. */
function wrapperPlaces(keys: readonly string[][]): Set<string> {
  const places = new Set<string>();
  for (const key of keys) {
    const plain: string[] = [];
    for (const segment of key) {
      if (WRAPPER_SEGMENTS.has(segment)) places.add(`${plain.join('.')}\0${segment}`);
      else plain.push(segment);
    }
  }
  return places;
}

function splitPlace(place: string): [string[], string] {
  const [prefix, wrapper] = place.split('\0') as [string, string];
  return [prefix === '' ? [] : prefix.split('.'), wrapper];
}

/** Returns a key whose wrapper `wrapper` follows the stripped `prefix`, and the wrapper's index in it. */
function findWrapped(keys: readonly string[][], prefix: readonly string[], wrapper: string): { key: string[]; index: number } | null {
  for (const key of keys) {
    let plain = 0;
    for (let i = 0; i < key.length; i++) {
      if (!WRAPPER_SEGMENTS.has(key[i]!)) plain++;
      else if (key[i] === wrapper && plain === prefix.length && startsWith(stripWrappers(key.slice(0, i)), prefix)) return { key, index: i };
    }
  }
  return null;
}

/** Returns the leading segments of `key` that hold its first `plainCount` non-wrapper segments (wrappers inside kept). */
function actualPrefix(key: readonly string[], plainCount: number): string[] {
  const out: string[] = [];
  let plain = 0;
  for (const segment of key) {
    if (plain === plainCount) break;
    out.push(segment);
    if (!WRAPPER_SEGMENTS.has(segment)) plain++;
  }
  return out;
}

/** Returns whether `key` begins with the segments of `prefix`. */
export function startsWith(key: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= key.length && prefix.every((s, i) => key[i] === s);
}
