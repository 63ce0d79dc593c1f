/**
 * Builds the `surgery` command line. A factory, so tests drive the real CLI with an argv array;
 * each command lives in `commands/` and only declares options and calls one function in `src/`.
 */
import yargs, { type Argv } from 'yargs';
import { commands } from './commands/index.ts';
import { UsageError } from '../usage-error.ts';

/** Returns a configured yargs instance for `argv` (without the node and script names). */
export function createCli(argv: string[]): Argv {
  let cli = yargs(argv)
    .scriptName('surgery')
    .usage('$0 <command> [options]\n\nCheckpoint surgery for robot-learning policies.')
    .strict()
    .demandCommand(1, 'Name a command; `surgery --help` lists them.')
    .recommendCommands()
    .help()
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    // Errors are rendered by main(), which owns process.exit; yargs must not print or exit itself.
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
  for (const command of commands) cli = cli.command(command);
  return cli;
}
