/** `surgery apply SOURCE [REMAP...] -o OUT`: perform the surgery and write the new checkpoint (atomically). */
import type { CommandModule } from 'yargs';
import { FSYNC_HELP, planOptions, surgeryOptions, type PlanArgs } from '../shared-options.ts';
import { printOutcome } from '../print-outcome.ts';

interface ApplyArgs extends PlanArgs {
  output: string;
  metadata?: 'source' | 'target';
  seed: number;
  fsync: boolean;
}

export const applyCommand: CommandModule<object, ApplyArgs> = {
  command: 'apply <source> [remaps..]',
  describe: 'Perform the surgery and write the new checkpoint (.pth, or .safetensors for one state dict). Exit 0 ok, 1 plan failed (nothing written), 2 usage, 3 unreadable input',
  builder: (yargs) =>
    surgeryOptions(yargs)
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'output checkpoint path (never an input)' })
      .option('metadata', { choices: ['source', 'target'] as const, describe: 'where config, shape and normalisation metadata come from (default: the target checkpoint or --target-config if given, else the source)' })
      .option('seed', { type: 'number', default: 0, describe: 'seed for reinitialised and filled tensors' })
      .option('fsync', { type: 'boolean', default: true, describe: FSYNC_HELP }) as never,
  handler: async (args) => {
    // Loaded on use, like `plan`: the remap parser and the writer are not needed to start the CLI.
    const { runApply } = await import('../../plan/run-apply.ts');
    const outcome = await runApply({ ...planOptions(args), output: args.output, seed: args.seed, durable: args.fsync, ...(args.metadata ? { metadata: args.metadata } : {}) });
    printOutcome(outcome);
  },
};
