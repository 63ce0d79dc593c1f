/**
 * The closed word lists of the language that are not keywords: init kinds, metrics and dtypes. The parser accepts any
 * name in these positions; the semantic checks compare against these lists so the message can say what is known.
 */

/** Init kinds and how many numeric arguments each takes. */
export const INIT_KINDS: Readonly<Record<string, { arity: readonly number[]; args: string }>> = {
  /** What PyTorch's own module would do for the parameter (fan-in from the shape; norm weight 1, bias 0). */
  default: { arity: [0], args: '' },
  zeros: { arity: [0], args: '' },
  ones: { arity: [0], args: '' },
  /** normal(std): mean 0. */
  normal: { arity: [1], args: '(std)' },
  /** uniform(a, b): a < b. */
  uniform: { arity: [2], args: '(a, b)' },
  /** kaiming_uniform_(a=sqrt(5)), PyTorch's Linear/Conv default for weights. */
  kaiming: { arity: [0], args: '' },
  /** xavier_uniform_ (gain 1). */
  xavier: { arity: [0], args: '' },
  /** Keep the target checkpoint's own value. */
  target: { arity: [0], args: '' },
};

/**
 * Metrics that `expect` can test; each is a class of keys the planner reports.
 * - loaded: target keys whose whole value comes from the source (copied, renamed or assembled);
 * - renamed: loaded target keys whose name differs from their source key;
 * - assembled: target keys written by at least one slice assignment;
 * - reinit: target keys initialised fresh (`reinit`, `on mismatch reinit`);
 * - dropped: source keys discarded by `drop`;
 * - missing: target keys that nothing provides (an error unless `allow missing`);
 * - unexpected: source keys that no target key uses and no `drop` discards (an error unless `allow unexpected`).
 */
export const METRICS: readonly string[] = ['loaded', 'renamed', 'assembled', 'reinit', 'dropped', 'missing', 'unexpected'];

/** Dtypes that `cast` accepts, in PyTorch's spelling. */
export const DTYPES: readonly string[] = ['float32', 'float16', 'bfloat16', 'float64'];

/** The newest language version this parser reads (`version 1`). */
export const LANGUAGE_VERSION = 1;
