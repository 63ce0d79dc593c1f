/** How a handler ends with a command's outcome. */
import type { CommandOutcome } from '../report/command-outcome.ts';
import { ExitWith } from './exit-codes.ts';

/** Prints a command's output and ends with its exit code (main() flushes both streams before exiting). */
export function printOutcome(outcome: CommandOutcome): void {
  process.stdout.write(outcome.stdout);
  process.stderr.write(outcome.stderr);
  if (outcome.exitCode !== 0) throw new ExitWith(outcome.exitCode);
}
