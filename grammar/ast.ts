/**
 * The `.remap` abstract syntax tree: plain data, no chevrotain types. `parseRemap` builds it; the semantic
 * checks, `surgery fmt` and the planner read it.
 *
 * Every node carries `kind` and a `Span` (byte offsets into the source, see `src/diagnostics.ts`), so any stage can
 * point a `Diagnostic` at a statement, a pattern, one segment of a pattern, a slice or one dimension of a slice.
 * Statement spans cover the statement from its first token (`optional` included) to its last token (trailing comment
 * excluded).
 *
 * Stability: this file is a contract with the planner. Change it additively only.
 */
import type { Diagnostic, Span } from '../src/diagnostics.ts';

export type { Span };

/** A parsed `.remap` file: its statements in source order, and its comments (kept for `surgery fmt`). */
export interface RemapFile {
  kind: 'RemapFile';
  /** The file name as given to `parseRemap`; every span in the tree carries it too. */
  file: string;
  span: Span;
  statements: Statement[];
  comments: Comment[];
}

/** A `# ...` comment. `text` includes the `#`, without the line break. */
export interface Comment {
  kind: 'Comment';
  span: Span;
  text: string;
  /** True when code precedes the comment on the same line (a trailing comment). */
  trailing: boolean;
}

/** A name written in the file (metric, init kind, dtype, `let` name), with where it was written. */
export interface Name {
  kind: 'Name';
  span: Span;
  value: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Key patterns
// ---------------------------------------------------------------------------------------------------------------

/**
 * A key pattern such as `policy.obs_encoder.**.conv*.{name}.weight`. State-dict keys are dotted segments; a pattern is
 * a list of segments separated by `.`.
 *
 * Matching (the planner implements it; see `grammar/README.md`):
 * - a `Literal` part matches its text exactly (a quoted part may hold any character, `.` included);
 * - a `Wildcard` with `many: false` (`*`, `{name}`, `{name:*}`) matches any run of characters except `.`, possibly empty;
 * - a segment whose only part is a `Wildcard` with `many: true` (`**`, `{name:**}`) matches zero or more whole segments
 *   (`a.**.b` matches `a.b`, `a.x.b`, `a.x.y.b`);
 * - a `many: true` wildcard inside a longer segment (`lang_fixed/**`) matches any run of characters, `.` included.
 *
 * Anonymous wildcards on the right-hand side of a rename are filled positionally from the anonymous wildcards of the
 * left-hand side of the same `many` kind (the first `**` on the right takes what the first `**` on the left matched);
 * named wildcards are filled by name.
 */
export interface KeyPattern {
  kind: 'KeyPattern';
  span: Span;
  segments: PatternSegment[];
}

/** One dot-separated segment of a pattern: a non-empty run of adjacent parts (`conv*`, `{cam}_image`, `"odd key"`). */
export interface PatternSegment {
  kind: 'PatternSegment';
  span: Span;
  parts: PatternPart[];
}

export type PatternPart = LiteralPart | WildcardPart;

/** Literal text. `quoted` records that it was written `"..."` (so `fmt` can keep the quotes where they are needed). */
export interface LiteralPart {
  kind: 'Literal';
  span: Span;
  /** The text after unescaping; may contain any character when quoted. */
  value: string;
  quoted: boolean;
}

/** `*` / `**` (anonymous) or `{name}` / `{name:*}` / `{name:**}` (named capture). */
export interface WildcardPart {
  kind: 'Wildcard';
  span: Span;
  /** `false` for `*`-like (within one segment), `true` for `**`-like (may cross `.`). */
  many: boolean;
  /** The capture name, or null for an anonymous `*` / `**`. */
  name: string | null;
}

// ---------------------------------------------------------------------------------------------------------------
// Slices and ranges
// ---------------------------------------------------------------------------------------------------------------

/** `[d0, d1, ...]`: one entry per tensor dimension, numpy style; fewer entries than the rank leave the rest whole. */
export interface Slice {
  kind: 'Slice';
  span: Span;
  dims: SliceDim[];
}

export type SliceDim = RangeDim | RangeRefDim;

/** `start:stop` (half open), `start:`, `:stop` or `:`; a missing bound is null (start 0 / stop = dimension size). */
export interface RangeDim {
  kind: 'Range';
  span: Span;
  start: number | null;
  stop: number | null;
}

/** A `let` name used as a dimension: `[:, camera_1_cols]`. `checks/undefined-name` reports unknown names. */
export interface RangeRefDim {
  kind: 'RangeRef';
  span: Span;
  name: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Init kinds
// ---------------------------------------------------------------------------------------------------------------

/**
 * `kaiming`, `normal(0.02)`, `uniform(-0.1, 0.1)`, ... Parsed permissively (any name, any number of numeric arguments)
 * so that `checks/unknown-init` can say what is wrong; the known kinds and their arities are in `vocabulary.ts`.
 */
export interface InitSpec {
  kind: 'InitSpec';
  span: Span;
  name: Name;
  args: number[];
}

// ---------------------------------------------------------------------------------------------------------------
// Statements (applied top to bottom, each to the result of the ones before)
// ---------------------------------------------------------------------------------------------------------------

export type Statement =
  | VersionStatement
  | InStatement
  | LetStatement
  | RenameStatement
  | DropStatement
  | ReinitStatement
  | OnMismatchStatement
  | AssignStatement
  | AllowStatement
  | ExpectCountStatement
  | ExpectWithinStatement
  | FreezeStatement
  | LrStatement
  | CastStatement;

/**
 * The statements that match keys, the only ones `optional` may mark. A key rule that matches no key is a planner
 * error (`remap/no-match`: a typo must not pass silently) unless it is optional: `optional **._orig_mod.** -> **.**`
 * lets one library file serve checkpoints that have the prefix and checkpoints that do not.
 */
export type KeyRule =
  | RenameStatement
  | DropStatement
  | ReinitStatement
  | AssignStatement
  | AllowStatement
  | FreezeStatement
  | LrStatement
  | CastStatement;

/** What every `KeyRule` carries besides its own fields. */
export interface KeyRuleFields {
  /** Written `optional ...`: matching no key is noted in the plan instead of being a `remap/no-match` error. */
  optional: boolean;
}

/** `version 1`: the language version the file was written for. Optional; at most one, first statement. */
export interface VersionStatement {
  kind: 'Version';
  span: Span;
  version: number;
}

/**
 * `in model.nets, model.ema`: which state dicts of the checkpoint the file applies to, as paths of dict keys from the
 * checkpoint's top level. Without an `in` statement every state dict found applies. Key patterns in all other
 * statements are relative to each of these state dicts.
 */
export interface InStatement {
  kind: 'In';
  span: Span;
  scopes: KeyPattern[];
}

/** `let camera_1_cols = 7:519`: a name for an index range, usable as a slice dimension below. */
export interface LetStatement {
  kind: 'Let';
  span: Span;
  name: Name;
  range: RangeDim;
}

/**
 * `FROM -> TO`.
 * - `scope: 'segment'`: FROM is one segment without `**` (no `.` written), e.g.
 *   `camera/image/varied_camera_1_left_image -> agentview_rgb`: every key segment matching FROM is replaced by TO
 *   (TO is then one segment too), wherever it occurs in a key.
 * - `scope: 'key'`: FROM has several segments or a `**`; it must match a whole key, which is rewritten to TO.
 */
export interface RenameStatement extends KeyRuleFields {
  kind: 'Rename';
  span: Span;
  scope: 'segment' | 'key';
  from: KeyPattern;
  to: KeyPattern;
}

/** `drop PATTERN`: source keys matching PATTERN are discarded (they count as dropped, not unexpected). */
export interface DropStatement extends KeyRuleFields {
  kind: 'Drop';
  span: Span;
  pattern: KeyPattern;
}

/** `reinit PATTERN [with INIT]`: target keys matching PATTERN start fresh; `init` null means `default`. */
export interface ReinitStatement extends KeyRuleFields {
  kind: 'Reinit';
  span: Span;
  pattern: KeyPattern;
  init: InitSpec | null;
}

/**
 * `on mismatch error` (the default) or `on mismatch reinit [with INIT]`: what to do with a key whose source and target
 * shapes differ and that no statement handles. Applies to the whole file wherever it is written; the last one wins.
 */
export interface OnMismatchStatement {
  kind: 'OnMismatch';
  span: Span;
  action: 'error' | 'reinit';
  /** Only with `action: 'reinit'`; null means `default`. */
  init: InitSpec | null;
}

/**
 * `TARGET[slice] <- [slice]` or `TARGET[slice] <- source KEY[slice]`: build (part of) a target tensor from (part of)
 * a source tensor. The target tensor's shape comes from the target checkpoint; elements no assignment writes keep the
 * value of `reinit`/`on mismatch` for that key (default init otherwise).
 */
export interface AssignStatement extends KeyRuleFields {
  kind: 'Assign';
  span: Span;
  target: KeyPattern;
  /** null: the whole target tensor. */
  targetSlice: Slice | null;
  /** null: the source tensor that the statements above map to this target key; otherwise `source KEY`. */
  source: KeyPattern | null;
  /** null: the whole source tensor. */
  sourceSlice: Slice | null;
}

/** `allow missing PATTERN` / `allow unexpected PATTERN`: strictness per class of key. */
export interface AllowStatement extends KeyRuleFields {
  kind: 'Allow';
  span: Span;
  what: 'missing' | 'unexpected';
  pattern: KeyPattern;
}

export type Comparator = '==' | '!=' | '<' | '<=' | '>' | '>=';

/**
 * `expect METRIC CMP VALUE[%] [tensors|params] [in PATTERN]`, e.g. `expect loaded >= 95% params in policy.**`.
 * Counts the target keys (`tensors`, the default) or their elements (`params`) in class METRIC, restricted to keys
 * matching `scope` (all keys when null); with `percent`, as a percentage of all keys/elements in scope.
 */
export interface ExpectCountStatement {
  kind: 'ExpectCount';
  span: Span;
  metric: Name;
  comparator: Comparator;
  comparatorSpan: Span;
  value: number;
  percent: boolean;
  measure: 'tensors' | 'params';
  scope: KeyPattern | null;
}

/** `expect METRIC within PATTERN`: every key in class METRIC matches PATTERN (e.g. `expect reinit within head.**`). */
export interface ExpectWithinStatement {
  kind: 'ExpectWithin';
  span: Span;
  metric: Name;
  scope: KeyPattern;
}

/** `freeze PATTERN [for N steps]`: a trainer hint; `steps` null means frozen for the whole run. */
export interface FreezeStatement extends KeyRuleFields {
  kind: 'Freeze';
  span: Span;
  pattern: KeyPattern;
  steps: number | null;
}

/** `lr xFACTOR PATTERN`: a trainer hint, the learning rate of matching parameters is multiplied by `factor`. */
export interface LrStatement extends KeyRuleFields {
  kind: 'Lr';
  span: Span;
  factor: number;
  pattern: KeyPattern;
}

/** `cast PATTERN to DTYPE`: convert matching output tensors to DTYPE (`float32`, `float16`, `bfloat16`, `float64`). */
export interface CastStatement extends KeyRuleFields {
  kind: 'Cast';
  span: Span;
  pattern: KeyPattern;
  dtype: Name;
}

/** What `parseRemap` returns: the AST (always, recovered as far as possible) and the syntax diagnostics. */
export interface ParseResult {
  file: RemapFile;
  diagnostics: Diagnostic[];
}
