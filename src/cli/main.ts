/**
 * The process entry point: runs the CLI and maps failures to exit codes. The only place that
 * calls process.exit.
 */
import { createCli } from './create-cli.ts';
import { EXIT } from '../exit-codes.ts';
import { ExitWith } from './exit-codes.ts';
import { UsageError } from '../usage-error.ts';
import { InputError } from '../input-error.ts';

/** Runs `surgery` with `argv` and exits with the documented code. */
export async function main(argv: string[]): Promise<void> {
  // `surgery inspect big.pth | head` closes the pipe early: that is the reader's choice, not a failure.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.ok);
    throw error;
  });
  try {
    await createCli(argv).parseAsync();
    process.exitCode = EXIT.ok;
  } catch (error) {
    if (error instanceof ExitWith) {
      if (error.message) console.error(error.message);
      await exitAfterFlush(error.code);
    }
    if (error instanceof UsageError) {
      console.error(`surgery: ${error.message}\nRun \`surgery --help\` for usage.`);
      await exitAfterFlush(EXIT.usage);
    }
    if (error instanceof InputError) {
      console.error(`surgery: ${error.message}`);
      await exitAfterFlush(EXIT.unreadable);
    }
    throw error;
  }
}

/**
 * Exits once stdout and stderr have flushed: process.exit would otherwise cut output written to a
 * pipe (a large report) at the pipe's buffer size.
 */
async function exitAfterFlush(code: number): Promise<never> {
  const drained = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write('', () => resolve()));
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
}
