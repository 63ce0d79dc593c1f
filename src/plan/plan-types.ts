/**
 * The plan: what a surgery would do to every key of every state dict in scope, which rule decided
 * it, and whether the result loads. Plain data; `resolvePlan` builds it, `applyPlan` executes it,
 * the report renderers print it.
 */
import type { DType } from '../checkpoint/types.ts';
import type { Statement } from '../../grammar/index.ts';
import type { Diagnostic, Span } from '../diagnostics.ts';
import type { InitSpec } from './init-values.ts';

/** Where a rule is written: for reports (`file:line`) and for diagnostics (the span). */
export interface RuleRef {
  /** Index into `Plan.rules`. */
  index: number;
  span: Span;
  line: number;
  column: number;
  /** The statement's kind in the AST (`Rename`, `Drop`, ...). */
  kind: string;
  /** The statement as written (one line, whitespace collapsed). */
  text: string;
}

/**
 * What happens to one key.
 * - loaded / renamed: the source tensor is copied unchanged (under a new name for `renamed`);
 * - assembled: built from slices of source tensors, the rest initialised;
 * - reinit: initialised fresh although a source tensor or target key exists;
 * - filled: a target key nothing provides, written from the target checkpoint or by `default` init;
 * - missing: a target key nothing provides and that is not written (`--no-fill`, or no value to fill with);
 * - dropped / unexpected: a source key that does not reach the output's load (discarded / unused);
 * - size-mismatch / dtype-mismatch: a source tensor whose shape or dtype differs from the target's.
 */
export type KeyStatus =
  | 'loaded'
  | 'renamed'
  | 'assembled'
  | 'reinit'
  | 'filled'
  | 'missing'
  | 'dropped'
  | 'unexpected'
  | 'size-mismatch'
  | 'dtype-mismatch';

/** One rename applied to a key. */
export interface RenameStep {
  rule: number;
  from: string;
  to: string;
}

/** A half-open `[start, stop)` per dimension. */
export type Box = Array<[number, number]>;

/** One slice assignment of an assembled tensor. */
export interface Block {
  rule: number;
  targetBox: Box;
  sourceKey: string;
  sourceBox: Box;
}

/** One row of the plan: a target key (or, for dropped/unexpected, a source key). */
export interface PlanRow {
  /** The key in the output: the target key, or the final name of a dropped/unexpected source key. */
  key: string;
  /** The source key whose tensor this row uses, if any. */
  sourceKey: string | null;
  status: KeyStatus;
  sourceShape: number[] | null;
  sourceDType: DType | null;
  targetShape: number[] | null;
  targetDType: DType | null;
  steps: RenameStep[];
  /** The rule that decided the status (null: plain load, or nothing decided it). */
  rule: number | null;
  /** For reinit / assembled / filled rows: how the fresh values are made. */
  init: InitSpec | null;
  blocks: Block[];
  /** Missing or unexpected, but an `allow` rule accepts it. */
  allowed: boolean;
  /** A `cast` turns the source tensor into this dtype. */
  cast: DType | null;
  /** Elements of the target tensor (or of the source tensor for rows without a target). */
  numel: number;
}

/** The plan for one state dict. */
export interface StateDictPlan {
  name: string;
  /** Indices into `Plan.rules` of the statements applied to this state dict (its files' `in` scopes). */
  applied: number[];
  /** Whether the rows were compared with a target (apply without a target only renames). */
  checked: boolean;
  rows: PlanRow[];
}

/** One statement of the remap(s), with what it matched. */
export interface RuleUsage {
  ref: RuleRef;
  file: string;
  statement: Statement;
  /** Matches per state dict it was evaluated on. */
  matches: Map<string, number>;
  /** Problems with the rule itself (`matches nothing`); each also has an error diagnostic. */
  warnings: string[];
  /** Remarks that are not problems (`optional, matches nothing`). */
  notes: string[];
}

export interface ExpectationResult {
  rule: number;
  passed: boolean;
  /** Per state dict: the measured value as printed (`97.3%`, `0`, `3 outside`). */
  measured: Map<string, string>;
}

/** The load verdict for one mode: ok, and the error count that decided it. */
export interface Verdict {
  ok: boolean;
  errors: number;
}

export interface Plan {
  source: { path: string; kind: 'checkpoint' | 'manifest' | 'config' };
  target: { path: string; kind: 'checkpoint' | 'manifest' | 'config' } | null;
  remaps: Array<{ file: string; sha256: string }>;
  mode: 'strict' | 'loose';
  stateDicts: StateDictPlan[];
  rules: RuleUsage[];
  expectations: ExpectationResult[];
  /** Errors, warnings and info (an optional rule that matched nothing) for the chosen mode, capped at MAX_DIAGNOSTICS. */
  diagnostics: Diagnostic[];
  verdict: { strict: Verdict; loose: Verdict };
  /** Whether the plan may be applied under the chosen mode (no error diagnostics). */
  ok: boolean;
}
