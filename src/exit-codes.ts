/** Exit codes of every command, documented in the README. */
export const EXIT = {
  ok: 0,
  /** The plan or check failed (diagnostics with errors, a failed expectation), or verify found a copied submodule that differs. */
  failed: 1,
  /** The command line itself was wrong. */
  usage: 2,
  /** An input could not be read (missing file, broken checkpoint, unreadable HDF5) or the output could not be written. */
  unreadable: 3,
} as const;
