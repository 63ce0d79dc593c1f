/** `surgery train --config C.json --data FILE.hdf5...`: finetune a diffusion policy on LIBERO/robomimic demonstrations. */
import type { CommandModule } from 'yargs';
import { BACKEND_CHOICES, BACKEND_HELP, type BackendChoice } from '../../model/backend-choice.ts';
import { UsageError } from '../../usage-error.ts';
import { EXIT } from '../../exit-codes.ts';
import { ExitWith } from '../exit-codes.ts';
import { checkPositiveIntegers } from '../shared-options.ts';

export interface TrainArgs {
  config: string;
  data?: string[];
  init?: string;
  load: 'strict' | 'loose';
  remap?: string;
  out: string;
  epochs?: number;
  'steps-per-epoch'?: number;
  'batch-size'?: number;
  'micro-batch'?: number;
  backend: BackendChoice;
  seed?: number;
  resume: boolean;
  quiet: boolean;
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'Train or finetune a robomimic diffusion policy on HDF5 demonstrations, writing robomimic checkpoints. Exit 0 ok, 1 training diverged, 2 usage, 3 unreadable input',
  builder: (yargs) =>
    yargs
      .option('config', { type: 'string', demandOption: true, describe: 'robomimic diffusion_policy config JSON; its values are the defaults of the flags below' })
      .option('data', { type: 'string', array: true, describe: 'LIBERO/robomimic .hdf5 files (replace the config\'s train.data; weight 1 each)' })
      .option('init', { type: 'string', describe: 'start from this checkpoint (e.g. the output of `surgery apply`)' })
      .option('load', { choices: ['strict', 'loose'] as const, default: 'strict' as const, describe: 'how --init is loaded: every key must fit (strict) or missing/unexpected keys are allowed (loose)' })
      .option('remap', { type: 'string', describe: '.remap file whose `freeze` and `lr` hints apply (default: the remaps named in --init\'s provenance)' })
      .option('out', { type: 'string', default: 'surgery-train', describe: 'output folder: checkpoints, metrics.jsonl, loss.svg, config.json' })
      .option('epochs', { type: 'number', describe: 'train.num_epochs' })
      .option('steps-per-epoch', { type: 'number', describe: 'experiment.epoch_every_n_steps (default: one pass over the data)' })
      .option('batch-size', { type: 'number', describe: 'train.batch_size' })
      .option('micro-batch', { type: 'number', describe: 'differentiate each batch in passes of at most this many samples and add up their gradients: the same training in less memory (default: the whole batch at once)' })
      .option('backend', { choices: BACKEND_CHOICES, default: 'auto' as const, describe: BACKEND_HELP })
      .option('seed', { type: 'number', describe: 'train.seed' })
      .option('resume', { type: 'boolean', default: false, describe: 'continue from OUT/last.pth (same step count, optimizer and random state)' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
      .check((args) => {
        checkPositiveIntegers(args, ['epochs', 'steps-per-epoch', 'batch-size', 'micro-batch']);
        if (args.seed !== undefined && (!Number.isInteger(args.seed) || args.seed < 0)) throw new UsageError(`--seed must be a non-negative integer, not ${args.seed}.`);
        if (args.resume && args.init) throw new UsageError('--resume continues OUT/last.pth; it cannot be combined with --init.');
        return true;
      }) as never,
  handler: async (args) => {
    // Loaded on use: TensorFlow.js takes seconds to load, which no other command should pay.
    const { runTraining, TrainingDivergedError } = await import('../../train/run-training.ts');
    try {
      const summary = await runTraining({
        config: args.config,
        ...(args.data ? { data: args.data } : {}),
        ...(args.init ? { init: args.init } : {}),
        load: args.load,
        ...(args.remap ? { remap: args.remap } : {}),
        out: args.out,
        ...(args.epochs !== undefined ? { epochs: args.epochs } : {}),
        ...(args['steps-per-epoch'] !== undefined ? { stepsPerEpoch: args['steps-per-epoch'] } : {}),
        ...(args['batch-size'] !== undefined ? { batchSize: args['batch-size'] } : {}),
        ...(args['micro-batch'] !== undefined ? { microBatch: args['micro-batch'] } : {}),
        ...(args.seed !== undefined ? { seed: args.seed } : {}),
        backend: args.backend,
        resume: args.resume,
        log: (line) => console.error(line),
        progress: args.quiet ? null : process.stderr,
      });
      console.log(`trained ${summary.steps} steps; last loss ${summary.lastLoss.toPrecision(4)}${summary.lastValidLoss !== null ? `, validation loss ${summary.lastValidLoss.toPrecision(4)}` : ''}; checkpoint ${summary.checkpoint}`);
    } catch (error) {
      if (error instanceof TrainingDivergedError) throw new ExitWith(EXIT.failed, error.message);
      throw error;
    }
  },
};
