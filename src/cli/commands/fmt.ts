/** `surgery fmt FILE...`: rewrite `.remap` files in the canonical layout; `--check` only reports (for CI). */
import type { CommandModule } from 'yargs';
import { wantsColour } from '../../report/paint.ts';
import { EXIT } from '../../exit-codes.ts';
import { ExitWith } from '../exit-codes.ts';

interface FmtArgs {
  files: string[];
  check: boolean;
}

/** The `fmt` command: options, then one call to `formatRemapFiles`. */
export const fmtCommand: CommandModule<object, FmtArgs> = {
  command: 'fmt <files..>',
  describe: 'Format .remap files (canonical layout, comments kept)',
  builder: (yargs) =>
    yargs
      .positional('files', { type: 'string', array: true, demandOption: true, describe: '.remap files to format' })
      .option('check', { type: 'boolean', default: false, describe: 'write nothing; exit 1 if a file is not formatted' }) as never,
  handler: async (args) => {
    const { formatRemapFiles } = await import('../../remap-check/format-remap-files.ts');
    const { output, ok } = formatRemapFiles(args.files, { check: args.check, colour: wantsColour(process.stdout) });
    if (output) console.log(output);
    if (!ok) throw new ExitWith(EXIT.failed);
  },
};
