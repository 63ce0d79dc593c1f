/**
 * The shared front half of `plan` and `apply`: read and check the remap files, load source and
 * target schemas, resolve the plan. Touches the file system only to read inputs.
 */
import { analyzeRemap } from '../../grammar/index.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { readRemapSource } from '../remap-check/read-remap-source.ts';
import { loadConfigSchema, loadSchema } from './load-schema.ts';
import type { ModelSchema } from './model-schema.ts';
import type { Plan } from './plan-types.ts';
import { resolvePlan } from './resolve-plan.ts';
import type { RemapSource } from './rule-refs.ts';

export interface PlanOptions {
  source: string;
  remaps: string[];
  /** A checkpoint or manifest of the target model. */
  target?: string;
  /** A robomimic config JSON whose model gives the target schema. */
  targetConfig?: string;
  mode: 'strict' | 'loose';
  fill: boolean;
}

/** Returns every file a plan reads: source, target or target config, and the remaps. */
export function planInputs(options: PlanOptions): string[] {
  return [options.source, ...(options.target ? [options.target] : []), ...(options.targetConfig ? [options.targetConfig] : []), ...options.remaps];
}

export interface PreparedPlan {
  /** Null when the remap files themselves have errors (then `remapDiagnostics` says which). */
  plan: Plan | null;
  remapDiagnostics: Diagnostic[];
  /** Remap file → text, for printing diagnostics with code frames. */
  sources: Map<string, string>;
  source: ModelSchema | null;
  target: ModelSchema | null;
}

/** Returns the resolved plan for `options`, or the remap files' own diagnostics when they do not check. */
export async function preparePlan(options: PlanOptions): Promise<PreparedPlan> {
  const sources = new Map<string, string>();
  const remaps: RemapSource[] = [];
  const remapDiagnostics: Diagnostic[] = [];
  for (const file of options.remaps) {
    const text = readRemapSource(file);
    const analyzed = analyzeRemap(text, file);
    sources.set(file, text);
    remaps.push({ file, text, ast: analyzed.file });
    remapDiagnostics.push(...analyzed.diagnostics);
  }
  if (remapDiagnostics.some((d) => d.severity === 'error')) return { plan: null, remapDiagnostics, sources, source: null, target: null };
  const source = await loadSchema(options.source);
  const target = options.target ? await loadSchema(options.target) : options.targetConfig ? await loadConfigSchema(options.targetConfig) : null;
  const plan = resolvePlan({ source, target, remaps, mode: options.mode, fill: options.fill });
  return { plan, remapDiagnostics, sources, source, target };
}
