/** `surgery inspect FILE`: shows what a checkpoint holds, without reading tensor bytes. */
import type { CommandModule } from 'yargs';

interface InspectArgs {
  file: string;
  keys?: string;
  json: boolean;
}

export const inspectCommand: CommandModule<object, InspectArgs> = {
  command: 'inspect <file>',
  describe: 'Show the tree, state dicts, keys, shapes, dtypes and alias groups of a checkpoint (.pth or .safetensors)',
  builder: (yargs) =>
    yargs
      .positional('file', { type: 'string', demandOption: true, describe: 'checkpoint to read (torch zip, legacy torch, or safetensors)' })
      .option('keys', { type: 'string', describe: 'list only state-dict keys matching this glob (* any text, ? one character; no wildcard: substring)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' }),
  handler: async (args) => {
    const { inspectCheckpoint } = await import('../../inspect/inspect-checkpoint.ts');
    const { renderInspectJson, renderInspectText } = await import('../../inspect/render-inspect.ts');
    const report = await inspectCheckpoint(args.file, args.keys === undefined ? {} : { keys: args.keys });
    process.stdout.write(args.json ? renderInspectJson(report) : renderInspectText(report));
  },
};
