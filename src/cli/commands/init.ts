/** `surgery init --config C.json --out target.pth`: a freshly initialised robomimic diffusion-policy checkpoint. */
import type { CommandModule } from 'yargs';
import { UsageError } from '../../usage-error.ts';

interface InitArgs {
  config: string;
  out: string;
  seed: number;
  'ac-dim'?: number;
  'obs-dim'?: string[];
}

export const initCommand: CommandModule<object, InitArgs> = {
  command: 'init',
  describe: 'Write a freshly initialised diffusion-policy checkpoint for a robomimic config',
  builder: (yargs) =>
    yargs
      .option('config', { type: 'string', demandOption: true, describe: 'robomimic config JSON (algo_name "diffusion_policy")' })
      .option('out', { type: 'string', demandOption: true, describe: 'checkpoint to write (.pth)' })
      .option('seed', { type: 'number', default: 0, describe: 'random seed of the initial weights' })
      .option('ac-dim', { type: 'number', describe: 'action size, when the config has no train.action_shapes' })
      .option('obs-dim', { type: 'string', array: true, describe: 'low-dim observation size the config does not record, as KEY=N (repeatable)' }) as never,
  handler: async (args) => {
    const obsDims = new Map<string, number>();
    for (const item of args['obs-dim'] ?? []) {
      const at = item.lastIndexOf('=');
      const n = Number(item.slice(at + 1));
      if (at <= 0 || !Number.isInteger(n) || n < 1) throw new UsageError(`--obs-dim "${item}" must look like KEY=N with N a positive integer.`);
      obsDims.set(item.slice(0, at), n);
    }
    const { initCheckpoint } = await import('../../model/init-checkpoint.ts');
    const result = await initCheckpoint({
      configPath: args.config,
      out: args.out,
      seed: args.seed,
      shapes: { acDim: args['ac-dim'], obsDims },
    });
    for (const warning of result.warnings) console.error(`warning: ${warning}`);
    console.log(`wrote ${args.out}: ${result.config.code} diffusion policy, ${result.keys} keys, ${result.parameters} parameters (${result.bytes} bytes)`);
  },
};
