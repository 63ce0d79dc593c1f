/** `surgery convert IN OUT`: rewrites a checkpoint in another format (torch zip or safetensors), atomically. */
import type { CommandModule } from 'yargs';
import { FSYNC_HELP } from '../shared-options.ts';

interface ConvertArgs {
  input: string;
  output: string;
  to?: 'torch-zip' | 'safetensors';
  'state-dict'?: string;
  fsync: boolean;
}

export const convertCommand: CommandModule<object, ConvertArgs> = {
  command: 'convert <input> <output>',
  describe: 'Rewrite a checkpoint as a torch zip .pth or as .safetensors (never over its input)',
  builder: (yargs) =>
    yargs
      .positional('input', { type: 'string', demandOption: true, describe: 'checkpoint to read (torch zip, legacy torch, or safetensors)' })
      .positional('output', { type: 'string', demandOption: true, describe: 'new file to write' })
      .option('to', { choices: ['torch-zip', 'safetensors'] as const, describe: 'output format (default: from the output extension, .safetensors or torch zip)' })
      .option('state-dict', { type: 'string', describe: 'write only this state dict (e.g. model.nets); required for safetensors from a tree' })
      .option('fsync', { type: 'boolean', default: true, describe: FSYNC_HELP }),
  handler: async (args) => {
    const { convertCheckpoint } = await import('../../checkpoint/convert-checkpoint.ts');
    const { formatBytes } = await import('../../inspect/render-inspect.ts');
    const options = { durable: args.fsync, ...(args.to ? { to: args.to } : {}), ...(args['state-dict'] !== undefined ? { stateDict: args['state-dict'] } : {}) };
    const result = await convertCheckpoint(args.input, args.output, options);
    const what = result.stateDict !== undefined ? `state dict "${result.stateDict || '<root>'}"` : 'whole checkpoint';
    process.stdout.write(`wrote ${args.output}: ${result.format}, ${what}, ${formatBytes(result.bytes)}\n`);
  },
};
