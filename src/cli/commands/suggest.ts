/** `surgery suggest SOURCE (--target T | --target-config C) -o draft.remap`: draft a remap that plans clean. */
import type { CommandModule } from 'yargs';
import { wantsColour } from '../../report/paint.ts';
import { UsageError } from '../../usage-error.ts';
import { printOutcome } from '../print-outcome.ts';
import { TARGET_OPTIONS } from '../shared-options.ts';

interface SuggestArgs {
  source: string;
  target?: string;
  'target-config'?: string;
  output: string;
}

export const suggestCommand: CommandModule<object, SuggestArgs> = {
  command: 'suggest <source>',
  describe: 'Draft a remap from source to target, each rule commented with why and how sure; written only if it plans clean (strict). Exit 0 written, 1 no clean draft, 2 usage, 3 unreadable input',
  builder: (yargs) =>
    yargs
      .positional('source', { type: 'string', demandOption: true, describe: 'source checkpoint or .json/.tsv key manifest' })
      .options(TARGET_OPTIONS)
      .conflicts('target', 'target-config')
      .check((args) => {
        if (!args.target && !args['target-config']) throw new UsageError('Give the target: --target T or --target-config C.');
        return true;
      })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'the .remap to write (never an input)' }) as never,
  handler: async (args) => {
    // Loaded on use, like `plan`: the planner and the remap parser are not needed to start the CLI.
    const { runSuggest } = await import('../../suggest/run-suggest.ts');
    const outcome = await runSuggest({
      source: args.source,
      output: args.output,
      ...(args.target ? { target: args.target } : {}),
      ...(args['target-config'] ? { targetConfig: args['target-config'] } : {}),
      colour: wantsColour(process.stderr),
    });
    printOutcome(outcome);
  },
};
