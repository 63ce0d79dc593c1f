/**
 * Trainer hints from a remap file (`freeze PATTERN [for N steps]`, `lr xF PATTERN`) resolved to
 * the model's parameters: for each trainable parameter, its learning-rate factor and until which
 * optimizer step it stays frozen. Patterns match any of a parameter's state-dict keys (aliases too).
 */
import type { FreezeStatement, LrStatement, RemapFile } from '../../grammar/index.ts';
import { compilePattern, formatPattern } from '../plan/match-pattern.ts';

/** One hint as recorded in checkpoints' `variable_state` and reported to the user. */
export type TrainHint = { kind: 'freeze'; pattern: string; steps: number | null } | { kind: 'lr'; pattern: string; factor: number };

/** Returns `hint` as the remap statement it came from (`lr x0.1 policy.**`, `freeze policy.** for 100 steps`). */
export function hintText(hint: TrainHint): string {
  return hint.kind === 'lr' ? `lr x${hint.factor} ${hint.pattern}` : `freeze ${hint.pattern}${hint.steps === null ? '' : ` for ${hint.steps} steps`}`;
}

export interface ParamPolicy {
  /** Multiplier of the scheduled learning rate (product of every matching `lr` hint). */
  lrFactor: number;
  /** The parameter is frozen while fewer than this many optimizer steps are done (Infinity = whole run; 0 = never). */
  frozenUntil: number;
}

/** A hint with its compiled matcher; `source` keeps the AST pattern for error messages. */
export interface ResolvedHint {
  hint: TrainHint;
  matches(key: string): boolean;
}

/** Returns the trainer hints of a parsed remap file, in file order. */
export function hintsFromRemap(file: RemapFile): ResolvedHint[] {
  return file.statements
    .filter((s): s is FreezeStatement | LrStatement => s.kind === 'Freeze' || s.kind === 'Lr')
    .map((s) => {
      const matcher = compilePattern(s.pattern);
      const pattern = formatPattern(s.pattern);
      const hint: TrainHint = s.kind === 'Freeze' ? { kind: 'freeze', pattern, steps: s.steps } : { kind: 'lr', pattern, factor: s.factor };
      return { hint, matches: (key: string) => matcher.match(key) !== null };
    });
}

/**
 * Returns the policy of each parameter (indexed like `params`) and, per hint, how many parameters
 * it matched (a hint matching nothing is almost always a typo, so the caller reports it).
 */
export function resolveParamPolicies(params: { keys: string[] }[], hints: ResolvedHint[]): { policies: ParamPolicy[]; matched: number[] } {
  const matched = hints.map(() => 0);
  const policies = params.map(({ keys }) => {
    const policy: ParamPolicy = { lrFactor: 1, frozenUntil: 0 };
    hints.forEach(({ hint, matches }, i) => {
      if (!keys.some(matches)) return;
      matched[i]! += 1;
      if (hint.kind === 'lr') policy.lrFactor *= hint.factor;
      else policy.frozenUntil = Math.max(policy.frozenUntil, hint.steps ?? Infinity);
    });
    return policy;
  });
  return { policies, matched };
}
