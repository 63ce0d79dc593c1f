/**
 * The one type for every problem found in a user's input, whichever stage found it
 * (remap parser, semantic checks, planner, load check).
 */

/** A half-open byte range `[start, end)` in one source file. Offsets, not line:column. */
export interface Span {
  file: string;
  start: number;
  end: number;
}

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  /** Namespaced, stable: `remap/unknown-key`, `load/size-mismatch`. Tests and JSON reports match on it. */
  code: string;
  severity: Severity;
  /** One stable sentence; names in double quotes; may end with ` Did you mean "x"?`. */
  message: string;
  /** Where it happened; the first span is the primary one. A conflict points at both places. */
  spans: Span[];
  /** Optional "what to do" line printed under the code frame. */
  hint?: string;
}

/** Stages cap how many diagnostics they return, as graphql-js does, so a broken file cannot flood a terminal. */
export const MAX_DIAGNOSTICS = 100;
