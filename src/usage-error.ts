/**
 * A command-line mistake (unknown flag, missing argument, malformed value, a backend that cannot
 * run here): the user's choice, not a bug. The CLI prints its one-line message and exits 2.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}
