/**
 * `suggest` as a pipeline from plain data to a remap: scopes → wrapper renames → structural segment renames → what
 * the plan still rejects (drops, reinits, fusion blocks, casts) → `expect` lines, then the proof: the printed text is
 * parsed, checked and planned strictly, and the draft is returned only with that plan's verdict.
 */
import { analyzeRemap, LANGUAGE_VERSION } from '../../grammar/index.ts';
import type { Diagnostic } from '../diagnostics.ts';
import type { PolicyConfig } from '../model/config.ts';
import { ANY_STATE_DICT, findStateDict, type ModelSchema, type StateDictSchema } from '../plan/model-schema.ts';
import type { Plan } from '../plan/plan-types.ts';
import { resolvePlan } from '../plan/resolve-plan.ts';
import { inStatement, printDraft, versionStatement, type DraftSection } from './draft-file.ts';
import { expectRules } from './expect-rules.ts';
import { matchSubtrees } from './match-subtrees.ts';
import { renameRules } from './rename-rules.ts';
import { residualRules } from './residual-rules.ts';
import { stripWrappers, wrapperRules } from './wrapper-rules.ts';

export interface SuggestInput {
  source: ModelSchema;
  target: ModelSchema;
  /** The robomimic configs of each side, where known: they give the fusion layer's column blocks. */
  sourceConfig: PolicyConfig | null;
  targetConfig: PolicyConfig | null;
  /** The name the draft will be written under (spans and the plan's remap list carry it). */
  file: string;
}

export interface Draft {
  text: string;
  /** The strict plan of `text` against the same source and target. */
  plan: Plan | null;
  /** Syntax and check problems of the printed text (a bug if any), or the plan's errors. */
  diagnostics: Diagnostic[];
  /** Whether the draft parses, checks and plans clean in strict mode with every expectation met. */
  ok: boolean;
}

/** Returns the drafted remap for `input` and whether it plans clean; never throws for inputs that do not fit. */
export function draftRemap(input: SuggestInput): Draft {
  const scopes = sharedScopes(input.source, input.target);
  const header: DraftSection = {
    heading: [`Drafted by \`surgery suggest\` from ${input.source.path} to ${input.target.path}.`, 'Each rule says why it was chosen and how sure it is (certain / likely / guess); review the guesses first.'],
    rules: [{ statement: versionStatement(LANGUAGE_VERSION), why: null, confidence: 'certain' }],
  };
  if (scopes.length > 0) header.rules.push({ statement: inStatement(scopes), why: 'The state dicts both sides hold', confidence: 'certain' });
  const [sourceDict, targetDict] = referenceDicts(input, scopes);
  const sourceKeys = [...sourceDict.keys.keys()].map((k) => k.split('.'));
  const targetKeys = [...targetDict.keys.keys()].map((k) => k.split('.'));
  const wrappers = wrapperRules(sourceKeys, targetKeys);
  const shaped = (dict: StateDictSchema) => [...dict.keys].map(([k, spec]) => ({ segments: stripWrappers(k.split('.')), shape: spec.shape }));
  const matches = matchSubtrees(shaped(sourceDict), shaped(targetDict));
  const renames = renameRules(matches, wrappers.keys.map(stripWrappers), targetKeys);
  const sections: DraftSection[] = [header];
  if (wrappers.rules.length > 0) sections.push({ heading: ['Wrapper segments (DataParallel `.module`, torch.compile `._orig_mod`).'], rules: wrappers.rules });
  if (renames.length > 0) sections.push({ heading: ['Renamed key segments, found by matching the subtrees under them.'], rules: renames });
  const renamedObsKey = (key: string): string => matches.find((m) => m.from === key)?.to ?? key;
  const first = planOf(input, sections);
  const residual = first.plan ? residualRules(referencePlan(first.plan, targetDict.name), { source: input.sourceConfig, target: input.targetConfig, renamedObsKey }) : [];
  if (residual.length > 0) sections.push({ heading: ['What the renames leave over: keys one side lacks, shapes and dtypes that differ.'], rules: residual });
  const settled = planOf(input, sections);
  if (settled.plan?.ok) sections.push({ heading: ['What review can rely on (per state dict); a later edit that loses a transfer fails these.'], rules: expectRules(settled.plan.stateDicts) });
  return planOf(input, sections);
}

/** Returns the state-dict names to transform: those both sides hold (an unnamed manifest stands for any name). */
function sharedScopes(source: ModelSchema, target: ModelSchema): string[] {
  const names = (s: ModelSchema) => s.stateDicts.map((d) => d.name).filter((n) => n !== ANY_STATE_DICT);
  const sourceNames = names(source);
  const targetNames = names(target);
  if (sourceNames.length === 0) return targetNames.length === 0 ? [] : targetNames;
  return sourceNames.filter((n) => targetNames.length === 0 || targetNames.includes(n));
}

/** Returns the source and target state dicts the rules are derived from: the first one in scope. */
function referenceDicts(input: SuggestInput, scopes: string[]): [StateDictSchema, StateDictSchema] {
  const name = scopes[0] ?? ANY_STATE_DICT;
  const source = findStateDict(input.source, name) ?? input.source.stateDicts[0];
  const target = findStateDict(input.target, name) ?? input.target.stateDicts[0];
  return [source ?? { name, keys: new Map() }, target ?? { name, keys: new Map() }];
}

function referencePlan(plan: Plan, name: string): Plan['stateDicts'][number] {
  return plan.stateDicts.find((d) => d.name === name) ?? plan.stateDicts[0]!;
}

/** Returns the text of `sections` and its strict plan (null when the text does not check: a suggester bug). */
function planOf(input: SuggestInput, sections: DraftSection[]): Draft {
  const text = printDraft(sections, input.file);
  const analyzed = analyzeRemap(text, input.file);
  const errors = analyzed.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) return { text, plan: null, diagnostics: errors, ok: false };
  const plan = resolvePlan({ source: input.source, target: input.target, remaps: [{ file: input.file, text, ast: analyzed.file }], mode: 'strict', fill: false });
  return { text, plan, diagnostics: plan.diagnostics.filter((d) => d.severity === 'error'), ok: plan.ok };
}
