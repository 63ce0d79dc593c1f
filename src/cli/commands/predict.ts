/** `surgery predict CKPT --obs OBS [--noise NOISE] [--out OUT]`: policy actions for an observation batch (EMA weights). */
import type { CommandModule } from 'yargs';
import { BACKEND_CHOICES, BACKEND_HELP } from '../../model/backend-choice.ts';
import type { PredictOptions } from '../../model/predict.ts';

export const predictCommand: CommandModule<object, PredictOptions> = {
  command: 'predict <checkpoint>',
  describe: 'Sample actions for an observation batch with a checkpoint\'s EMA weights',
  builder: (yargs) =>
    yargs
      .positional('checkpoint', { type: 'string', demandOption: true, describe: 'robomimic diffusion-policy checkpoint' })
      .option('obs', { type: 'string', demandOption: true, describe: '.pth/.safetensors dict: obs key → [B, To, …] (images raw uint8 HWC)' })
      .option('noise', { type: 'string', describe: 'dict with initial_noise [B,Tp,ac] (and per_step_variance_noise [S−1,B,Tp,ac] for DDPM)' })
      .option('out', { type: 'string', describe: 'write trajectory, actions, actions_unnormalized here (.pth, .safetensors or .json)' })
      .option('seed', { type: 'number', default: 0, describe: 'seed of the noise when --noise is not given' })
      .option('backend', { choices: BACKEND_CHOICES, default: 'auto' as const, describe: BACKEND_HELP }) as never,
  handler: async (args) => {
    const { predict } = await import('../../model/predict.ts');
    const p = await predict({ checkpoint: args.checkpoint, obs: args.obs, noise: args.noise, out: args.out, seed: args.seed, backend: args.backend });
    if (p.backendNote) console.error(`note: ${p.backendNote}`);
    if (args.out) console.log(`wrote ${args.out}: actions [${p.actions.shape.join(', ')}]`);
    else console.log(JSON.stringify({ actions_unnormalized: Array.from(p.actionsUnnormalized.data), shape: p.actionsUnnormalized.shape }));
  },
};
