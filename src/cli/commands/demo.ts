/** `surgery demo [--out DIR]`: the whole DROID → LIBERO story on bundled inputs (offline, a few minutes on a CPU). */
import type { CommandModule } from 'yargs';
import { BACKEND_CHOICES, BACKEND_HELP, type BackendChoice } from '../../model/backend-choice.ts';
import { DEMO_DEFAULTS } from '../../demo/demo-defaults.ts';
import { EXIT } from '../../exit-codes.ts';
import { ExitWith } from '../exit-codes.ts';
import { checkPositiveIntegers } from '../shared-options.ts';

interface DemoArgs {
  out: string;
  epochs: number;
  'steps-per-epoch': number;
  backend: BackendChoice;
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe: 'Run init → suggest → check → plan → apply → verify → train → predict on bundled DROID/LIBERO inputs, printing where each artefact is. Exit 0 ok, 1 a step failed',
  builder: (yargs) =>
    yargs
      .option('out', { type: 'string', default: DEMO_DEFAULTS.out, describe: 'output folder (emptied if an earlier demo made it)' })
      .option('epochs', { type: 'number', default: DEMO_DEFAULTS.epochs, describe: 'training epochs' })
      .option('steps-per-epoch', { type: 'number', default: DEMO_DEFAULTS.stepsPerEpoch, describe: 'training steps per epoch' })
      .option('backend', { choices: BACKEND_CHOICES, default: 'auto' as const, describe: BACKEND_HELP })
      .check((args) => checkPositiveIntegers(args, ['epochs', 'steps-per-epoch'])) as never,
  handler: async (args) => {
    // Loaded on use: the demo pulls in TensorFlow.js, which other commands should not pay for at startup.
    const { DemoStepError, runDemo } = await import('../../demo/run-demo.ts');
    try {
      await runDemo({ out: args.out, epochs: args.epochs, stepsPerEpoch: args['steps-per-epoch'], backend: args.backend, print: (line) => console.log(line), progress: process.stderr });
    } catch (error) {
      if (error instanceof DemoStepError) throw new ExitWith(EXIT.failed, error.message);
      throw error;
    }
  },
};
