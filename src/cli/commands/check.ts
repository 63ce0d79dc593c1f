/** `surgery check FILE...`: syntax and semantic checks of `.remap` files. Exit 0 when clean, 1 with diagnostics. */
import type { CommandModule } from 'yargs';
import { wantsColour } from '../../report/paint.ts';
import { EXIT } from '../../exit-codes.ts';
import { ExitWith } from '../exit-codes.ts';

interface CheckArgs {
  files: string[];
  format: 'text' | 'json';
}

/** The `check` command: options, then one call to `checkRemapFiles`. */
export const checkCommand: CommandModule<object, CheckArgs> = {
  command: 'check <files..>',
  describe: 'Check .remap files for syntax and semantic errors',
  builder: (yargs) =>
    yargs
      .positional('files', { type: 'string', array: true, demandOption: true, describe: '.remap files to check' })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'output format' }) as never,
  handler: async (args) => {
    const { checkRemapFiles } = await import('../../remap-check/check-remap-files.ts');
    const { output, clean } = checkRemapFiles(args.files, { format: args.format, colour: wantsColour(process.stdout) });
    console.log(output);
    if (!clean) throw new ExitWith(EXIT.failed);
  },
};
