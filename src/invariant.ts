/** Throws when a condition the code relies on does not hold: a bug in `surgery`, never a user error. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`Internal error (please report): ${message}`);
}
