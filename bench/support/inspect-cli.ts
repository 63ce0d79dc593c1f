/**
 * `surgery inspect` with only its own command registered: what the CLI costs once commands load
 * their implementations lazily (today `createCli` imports every command's modules up front).
 */
import yargs from 'yargs';
import { inspectCommand } from '../../src/cli/commands/inspect.ts';

await yargs(process.argv.slice(2)).command(inspectCommand).strict().parseAsync();
