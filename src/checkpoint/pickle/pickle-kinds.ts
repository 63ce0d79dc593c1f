/**
 * The coarse value kinds the pickle checker tracks on its abstract stack, and the allow-list entry
 * shape that says what each permitted global is and what calling it yields.
 */

/** What a stack slot holds, as far as the static checker can tell. */
export type Kind =
  | 'none'
  | 'bool'
  | 'int'
  | 'float'
  | 'str'
  | 'bytes'
  | 'list'
  | 'tuple'
  | 'dict'
  | 'odict'
  | 'tensor'
  | 'storage'
  | 'storage-type'
  | 'callable'
  | 'object';

/** One allow-listed global: a callable (used only through REDUCE) or a storage class (used only inside a persistent id). */
export interface AllowedGlobal {
  role: 'callable' | 'storage-type';
  /** What REDUCE with this callable pushes. */
  result?: Kind;
}

/** Kinds that may be dict keys in a checkpoint (`PyKey`). */
export const KEY_KINDS: ReadonlySet<Kind> = new Set<Kind>(['str', 'int', 'bool', 'none']);
