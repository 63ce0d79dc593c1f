/**
 * The process entry point: runs the CLI and maps failures to exit codes. The only place that
 * calls process.exit.
 */
import { createCli } from './create-cli.ts';
import { EXIT, ExitWith, UsageError } from './exit-codes.ts';
import { InputError } from '../input-error.ts';

/** Runs `surgery` with `argv` and exits with the documented code. */
export async function main(argv: string[]): Promise<void> {
  try {
    await createCli(argv).parseAsync();
    process.exitCode = EXIT.ok;
  } catch (error) {
    if (error instanceof ExitWith) {
      if (error.message) console.error(error.message);
      process.exit(error.code);
    }
    if (error instanceof UsageError) {
      console.error(`surgery: ${error.message}\nRun \`surgery --help\` for usage.`);
      process.exit(EXIT.usage);
    }
    if (error instanceof InputError) {
      console.error(`surgery: ${error.message}`);
      process.exit(EXIT.unreadable);
    }
    throw error;
  }
}
