/** `surgery verify SOURCE OUTPUT [--obs OBS]`: run the transferred submodules of both on one probe and compare. */
import type { CommandModule } from 'yargs';
import { wantsColour } from '../../report/paint.ts';
import { BACKEND_CHOICES, BACKEND_HELP, type BackendChoice } from '../../model/backend-choice.ts';
import { printOutcome } from '../print-outcome.ts';
import { REPORT_OPTIONS } from '../shared-options.ts';

interface VerifyArgs {
  source: string;
  output: string;
  obs?: string;
  backend: BackendChoice;
  format: 'md' | 'json' | 'text';
  report?: string;
}

export const verifyCommand: CommandModule<object, VerifyArgs> = {
  command: 'verify <source> <output>',
  describe: 'Check that a surgery kept what it claims: run each transferred encoder (and the UNet) of source and output on one probe batch. Exit 0 ok, 1 a submodule claimed copied differs, 3 unreadable input',
  builder: (yargs) =>
    yargs
      .positional('source', { type: 'string', demandOption: true, describe: 'the robomimic checkpoint the surgery started from' })
      .positional('output', { type: 'string', demandOption: true, describe: 'the checkpoint `surgery apply` wrote' })
      .option('obs', { type: 'string', describe: '.pth/.safetensors dict: image key → raw uint8 [B, To, H, W, C] (default: synthesised from shape_metadata)' })
      .option('backend', { choices: BACKEND_CHOICES, default: 'auto' as const, describe: BACKEND_HELP })
      .options(REPORT_OPTIONS) as never,
  handler: async (args) => {
    const { runVerify } = await import('../../verify/run-verify.ts');
    const outcome = await runVerify({
      source: args.source,
      output: args.output,
      ...(args.obs ? { obs: args.obs } : {}),
      backend: args.backend,
      format: args.format,
      ...(args.report ? { report: args.report } : {}),
      colour: wantsColour(process.stdout),
    });
    printOutcome(outcome);
  },
};
