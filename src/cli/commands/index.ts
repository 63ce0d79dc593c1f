/** Every `surgery` subcommand, in the order `--help` lists them. */
import type { CommandModule } from 'yargs';

// Each command file exports one CommandModule; add yours here.
export const commands: CommandModule<any, any>[] = [];
