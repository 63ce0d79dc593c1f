/**
 * `surgery suggest`: load both sides (and their robomimic configs where they have one), draft the remap, and write it
 * atomically only when it parses and plans clean in strict mode; otherwise say what failed and write nothing.
 */
import { writeAtomically } from '../checkpoint/write-atomically.ts';
import { EXIT } from '../exit-codes.ts';
import { InputError } from '../input-error.ts';
import type { PolicyConfig } from '../model/config.ts';
import { policyConfigOf } from '../model/load-policy.ts';
import { loadConfigSchema, loadSchema } from '../plan/load-schema.ts';
import type { ModelSchema } from '../plan/model-schema.ts';
import type { CommandOutcome } from '../report/command-outcome.ts';
import { printDiagnostics } from '../report/print-diagnostics.ts';
import { draftRemap, type Draft } from './draft-remap.ts';

export interface SuggestOptions {
  source: string;
  /** A checkpoint or key manifest of the target model. */
  target?: string;
  /** A robomimic config JSON whose model is the target. */
  targetConfig?: string;
  output: string;
  colour: boolean;
}

/** Returns what `suggest` printed and its exit code: 0 with the draft written, 1 when it would not plan clean. */
export async function runSuggest(options: SuggestOptions): Promise<CommandOutcome> {
  const targetPath = options.target ?? options.targetConfig;
  if (!targetPath) throw new InputError('suggest/no-target', options.source, 'suggest needs --target or --target-config to know what to draft towards.');
  const source = await loadSchema(options.source);
  const target = options.target ? await loadSchema(options.target) : await loadConfigSchema(targetPath);
  const notes: string[] = [];
  const sourceConfig = configOfCheckpoint(source, notes);
  const targetConfig = target.config?.policy ?? configOfCheckpoint(target, notes);
  const draft = draftRemap({ source, target, sourceConfig, targetConfig, file: options.output });
  if (!draft.ok) return failure(draft, options);
  await writeAtomically(options.output, [options.source, targetPath], async (handle) => {
    await handle.writeFile(draft.text);
  });
  return { stdout: '', stderr: [...notes.map((n) => `note: ${n}`), summary(draft, options.output)].join('\n') + '\n', exitCode: EXIT.ok };
}

/** Returns the robomimic config of a checkpoint side, or null (with a note) for manifests and other checkpoints. */
function configOfCheckpoint(schema: ModelSchema, notes: string[]): PolicyConfig | null {
  if (!schema.checkpoint) return null;
  try {
    return policyConfigOf(schema.checkpoint).config;
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    notes.push(`${schema.path} has no usable robomimic metadata (${error.detail}); a fusion layer, if any, is reinitialised.`);
    return null;
  }
}

function summary(draft: Draft, output: string): string {
  const plan = draft.plan!;
  const rows = plan.stateDicts[0]?.rows ?? [];
  const count = (...statuses: string[]) => rows.filter((r) => statuses.includes(r.status)).length;
  const guesses = draft.text.split('\n').filter((l) => l.startsWith('# guess:')).length;
  const perDict = `${count('loaded', 'renamed')} tensors copied, ${count('assembled')} assembled, ${count('reinit')} reinitialised, ${count('dropped')} dropped`;
  return `draft written to ${output}: plans clean (strict) on ${plan.stateDicts.length} state dict(s); per state dict ${perDict}${guesses ? `; ${guesses} rule(s) are guesses, review them first` : ''}.`;
}

function failure(draft: Draft, options: SuggestOptions): CommandOutcome {
  const printed = printDiagnostics(draft.diagnostics.slice(0, 20), (file) => (file === options.output ? draft.text : undefined), { colour: options.colour });
  const why = draft.plan ? 'the drafted remap does not plan clean (strict)' : 'the drafted remap does not parse (a bug in suggest)';
  return { stdout: '', stderr: `${printed}\n\nNothing written: ${why}. The errors above say which keys are left; they need a decision only you can make.\n`, exitCode: EXIT.failed };
}
