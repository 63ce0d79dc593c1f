/** `surgery plan SOURCE [REMAP...]`: what a surgery would do, as a review-ready report (no output file). */
import type { Argv, CommandModule } from 'yargs';
import { wantsColour } from '../../report/render-text.ts';
import { ExitWith } from '../exit-codes.ts';

export interface PlanArgs {
  source: string;
  remaps: string[];
  target?: string;
  'target-config'?: string;
  mode: 'strict' | 'loose';
  fill: boolean;
  format: 'md' | 'json' | 'text';
  report?: string;
}

/** Declares the options `plan` and `apply` share. */
export function surgeryOptions<T>(yargs: Argv<T>): Argv<PlanArgs> {
  return yargs
    .positional('source', { type: 'string', demandOption: true, describe: 'source checkpoint (for plan: or a .json/.tsv key manifest)' })
    .positional('remaps', { type: 'string', array: true, default: [], describe: '.remap files, applied in order' })
    .option('target', { alias: 't', type: 'string', describe: 'target checkpoint or .json/.tsv key manifest' })
    .option('target-config', { type: 'string', describe: 'robomimic diffusion_policy config JSON whose model is the target' })
    .conflicts('target', 'target-config')
    .option('mode', { choices: ['strict', 'loose'] as const, default: 'strict' as const, describe: 'load_state_dict semantics: strict=True or strict=False (size mismatches fail in both)' })
    .option('fill', { type: 'boolean', default: true, describe: 'fill target keys nothing provides (from the target checkpoint, else default init); --no-fill writes only what was transferred' })
    .option('format', { choices: ['md', 'json', 'text'] as const, default: 'text' as const, describe: 'report format' })
    .option('report', { type: 'string', describe: 'write the report to this file instead of stdout' }) as unknown as Argv<PlanArgs>;
}

/** Returns the options object the plan functions take. */
export function planOptions(args: PlanArgs) {
  return {
    source: args.source,
    remaps: args.remaps,
    ...(args.target ? { target: args.target } : {}),
    ...(args['target-config'] ? { targetConfig: args['target-config'] } : {}),
    mode: args.mode,
    fill: args.fill,
    format: args.format,
    ...(args.report ? { report: args.report } : {}),
    colour: wantsColour(process.stdout),
  };
}

/** Prints a command's output and ends with its exit code (main() flushes both streams before exiting). */
export function printOutcome(outcome: { stdout: string; stderr: string; exitCode: number }): void {
  process.stdout.write(outcome.stdout);
  process.stderr.write(outcome.stderr);
  if (outcome.exitCode !== 0) throw new ExitWith(outcome.exitCode);
}

export const planCommand: CommandModule<object, PlanArgs> = {
  command: 'plan <source> [remaps..]',
  describe: 'Show what a surgery would do and whether the result loads (dry run; reads no tensor bytes). Exit 0 ok, 1 plan failed, 2 usage, 3 unreadable input',
  builder: (yargs) => surgeryOptions(yargs) as never,
  handler: async (args) => {
    // Loaded on use: the planner pulls in the remap parser, which other commands should not pay for at startup.
    const { runPlan } = await import('../../plan/run-plan.ts');
    const outcome = await runPlan(planOptions(args));
    printOutcome(outcome);
  },
};
