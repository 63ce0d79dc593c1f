/** Options and option checks that several commands share, declared once so their wording stays the same. */
import { UsageError } from '../usage-error.ts';

/** Returns true, or throws a UsageError naming the first of `names` whose value is set but not a positive integer. */
export function checkPositiveIntegers<K extends string>(args: Partial<Record<K, number>>, names: readonly K[]): true {
  for (const name of names) {
    const value = args[name];
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new UsageError(`--${name} must be a positive integer, not ${value}.`);
  }
  return true;
}
