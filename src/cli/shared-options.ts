/** Options and option checks that several commands share, declared once so their wording stays the same. */
import type { Argv } from 'yargs';
import { wantsColour } from '../report/paint.ts';
import { UsageError } from '../usage-error.ts';

/** The `--fsync` help of the commands that write a checkpoint from the command line. */
export const FSYNC_HELP =
  'flush the output to disk before it takes its name (default); --no-fsync skips that, as torch.save does: faster on a slow disk, but a crash soon after can lose the file';

/** `--target` and `--target-config` (plan, apply and suggest); declare `.conflicts('target', 'target-config')` with them. */
export const TARGET_OPTIONS = {
  target: { alias: 't', type: 'string', describe: 'target checkpoint or .json/.tsv key manifest' },
  'target-config': { type: 'string', describe: 'robomimic diffusion_policy config JSON whose model is the target' },
} as const;

/** `--format` and `--report` of the commands that render a report (plan, apply and verify). */
export const REPORT_OPTIONS = {
  format: { choices: ['md', 'json', 'text'], default: 'text', describe: 'report format' },
  report: { type: 'string', describe: 'write the report to this file instead of stdout' },
} as const;

/** Returns true, or throws a UsageError naming the first of `names` whose value is set but not a positive integer. */
export function checkPositiveIntegers<K extends string>(args: Partial<Record<K, number>>, names: readonly K[]): true {
  for (const name of names) {
    const value = args[name];
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new UsageError(`--${name} must be a positive integer, not ${value}.`);
  }
  return true;
}

/** The options of `plan` and `apply`, as yargs parses them. */
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
    .options(TARGET_OPTIONS)
    .conflicts('target', 'target-config')
    .option('mode', { choices: ['strict', 'loose'] as const, default: 'strict' as const, describe: 'load_state_dict semantics: strict=True or strict=False (size mismatches fail in both)' })
    .option('fill', { type: 'boolean', default: true, describe: 'fill target keys nothing provides (from the target checkpoint, else default init); --no-fill writes only what was transferred' })
    .options(REPORT_OPTIONS) as unknown as Argv<PlanArgs>;
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
