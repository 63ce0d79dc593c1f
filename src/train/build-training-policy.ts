/**
 * The policy a run trains and the trainer state around it, from one of three starting points:
 * `--resume` (the output folder's `last.pth`: weights, EMA, optimizer, scheduler, counters, random
 * state), `--init CKPT` (weights checked strictly or loosely against the config's model), or fresh
 * PyTorch-default initialisation. Remap hints (`freeze`, `lr`) come from `--remap`, from the init
 * checkpoint's provenance, or from the resumed checkpoint.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { analyzeRemap } from '../../grammar/index.ts';
import { InputError } from '../input-error.ts';
import { openCheckpoint } from '../checkpoint/open-checkpoint.ts';
import { getAtPath } from '../checkpoint/py-value.ts';
import type { PolicyConfig } from '../model/config.ts';
import { buildPolicy, type Policy } from '../model/policy.ts';
import { policySchema, type PolicySchema } from '../model/schema.ts';
import { configWithWidthsFrom } from '../model/widths-from-shapes.ts';
import { createWeights, type PolicyWeights } from '../model/weights.ts';
import { initialValues } from '../model/init-weights.ts';
import { PROVENANCE_KEY } from '../plan/apply-plan.ts';
import { readRemapSource } from '../remap-check/read-remap-source.ts';
import { printDiagnostics } from '../report/print-diagnostics.ts';
import { checkInitLoad } from './check-init-load.ts';
import { loadChecked, readResumeState, readStateDict, shapesOf, slotFromHost } from './load-training-weights.ts';
import { hintsFromRemap, hintText, resolveParamPolicies, type ResolvedHint, type TrainHint } from './param-groups.ts';
import { createRng, rngFromState } from '../random/rng.ts';
import type { TrainConfig } from './train-config.ts';
import { initialTrainerState, type TrainerState } from './train-step.ts';

export type LoadMode = 'strict' | 'loose';

export interface BuildRequest {
  config: PolicyConfig;
  train: TrainConfig;
  options: { init?: string; load: LoadMode; remap?: string; resume: boolean };
  out: string;
  /** Called once the model's final shapes are known and before any weight tensor exists (the memory plan's refusal throws here). */
  beforeAllocate?: (config: PolicyConfig, schema: PolicySchema) => void;
}

export interface BuiltTraining {
  policy: Policy;
  state: TrainerState;
  hints: TrainHint[];
  /** Lines for the user: load report, hint summary. */
  messages: string[];
  startEpoch: number;
  resumedFrom: string | null;
  bestValidLoss: number | null;
  disposeSlots(): void;
}

/** Returns the policy and trainer state the run starts from. */
export async function buildTrainingPolicy(request: BuildRequest): Promise<BuiltTraining> {
  const { train, options } = request;
  const messages: string[] = [];
  if (options.resume) return resumeTraining(request, messages);
  let config = request.config;
  let nets: PolicyWeights;
  let ema: PolicyWeights | null = null;
  let hints: ResolvedHint[] = options.remap ? hintsFromFile(options.remap) : [];
  if (options.init) {
    const checkpoint = await openCheckpoint(options.init);
    const netsDict = await readStateDict(checkpoint, ['model', 'nets']);
    if (!netsDict) throw new InputError('load/no-state-dict', options.init, 'has no "model.nets" state dict; --init needs a robomimic checkpoint (e.g. the output of `surgery apply`).');
    config = configWithWidthsFrom(config, shapesOf(netsDict));
    const schema = policySchema(config);
    request.beforeAllocate?.(config, schema);
    const dicts = ['model.nets', 'model.ema'].filter((name) => checkpoint.stateDicts.some((d) => d.name === name));
    const check = await checkInitLoad(options.init, schema, options.load, dicts);
    if (!check.ok) throw new InputError('load/failed', options.init, `does not load into the model of this config (--load ${options.load}):\n${check.report}`);
    messages.push(check.report.trimEnd());
    const fresh = () => initialValues(schema, createRng(train.seed));
    nets = loadChecked(schema, netsDict, options.load, fresh, true, options.init).weights;
    const emaDict = config.ema.enabled ? await readStateDict(checkpoint, ['model', 'ema']) : null;
    if (emaDict) {
      ema = loadChecked(schema, emaDict, options.load, fresh, false, options.init).weights;
    }
    if (!options.remap) hints = await hintsFromProvenance(getAtPath(checkpoint.root, [PROVENANCE_KEY]), messages);
  } else {
    const schema = policySchema(config);
    request.beforeAllocate?.(config, schema);
    nets = createWeights(schema, initialValues(schema, createRng(train.seed)), true);
    messages.push(`init: fresh weights (PyTorch default initialisers, seed ${train.seed})`);
  }
  // robomimic's EMAModel starts as a deep copy of the nets unless the checkpoint brings one.
  if (config.ema.enabled && !ema) ema = copyWeights(nets);
  const policy = buildPolicy(config, nets, ema);
  const state = initialTrainerState(policy, train, createRng(train.seed));
  const resolved = applyHints(policy.schema, state, hints, messages);
  return { policy, state, hints: resolved, messages, startEpoch: 1, resumedFrom: null, bestValidLoss: null, disposeSlots: () => disposeSlots(state) };
}

async function resumeTraining(request: BuildRequest, messages: string[]): Promise<BuiltTraining> {
  const path = join(request.out, 'last.pth');
  const resume = await readResumeState(path);
  const config = configWithWidthsFrom(request.config, shapesOf(resume.nets));
  const schema = policySchema(config);
  request.beforeAllocate?.(config, schema);
  const fresh = () => initialValues(schema, createRng(request.train.seed));
  const nets = loadChecked(schema, resume.nets, 'strict', fresh, true, path).weights;
  const ema = config.ema.enabled ? (resume.ema ? loadChecked(schema, resume.ema, 'strict', fresh, false, path).weights : copyWeights(nets)) : null;
  const policy = buildPolicy(config, nets, ema);
  const state = initialTrainerState(policy, request.train, rngFromState(resume.rng));
  state.step = resume.step;
  state.emaOptimizationStep = resume.emaOptimizationStep;
  state.schedulerEpoch = resume.schedulerEpoch;
  schema.params
    .filter((p) => p.trainable)
    .forEach((param, index) => {
      const host = resume.optimizerSlots.get(index);
      if (host) state.slots[param.id] = slotFromHost(param, host);
    });
  const hints = await hintsFromRecorded(resume.hints);
  const resolved = applyHints(schema, state, hints, messages);
  messages.push(`resume: ${path} at epoch ${resume.epoch}, step ${resume.step}`);
  return { policy, state, hints: resolved, messages, startEpoch: resume.epoch + 1, resumedFrom: path, bestValidLoss: resume.bestValidLoss, disposeSlots: () => disposeSlots(state) };
}

/** Resolves hints against the parameters, sets the per-parameter policies, reports what matched. */
function applyHints(schema: PolicySchema, state: TrainerState, hints: ResolvedHint[], messages: string[]): TrainHint[] {
  const trainable = schema.params.map((p) => ({ keys: p.trainable ? p.keys : [] }));
  const { policies, matched } = resolveParamPolicies(trainable, hints);
  state.paramPolicies = policies;
  hints.forEach(({ hint }, i) => {
    const what = hintText(hint);
    messages.push(matched[i] ? `hint: ${what} (${matched[i]} parameters)` : `warning: hint "${what}" matches no parameter of this model`);
  });
  return hints.map((h) => h.hint);
}

function hintsFromFile(path: string): ResolvedHint[] {
  return hintsFromSource(readRemapSource(path), path);
}

function hintsFromSource(source: string, path: string): ResolvedHint[] {
  const { file, diagnostics } = analyzeRemap(source, path);
  const error = diagnostics.find((d) => d.severity === 'error');
  if (error) {
    const printed = printDiagnostics([error], (file) => (file === path ? source : undefined));
    throw new InputError(error.code, path, `has errors (\`surgery check ${path}\` lists them all):\n${printed}`);
  }
  return hintsFromRemap(file);
}

/** Hints recorded in a resumed checkpoint, re-parsed so they match exactly as they did. */
async function hintsFromRecorded(hints: TrainHint[]): Promise<ResolvedHint[]> {
  const text = hints.map(hintText).join('\n');
  return text ? hintsFromSource(`${text}\n`, 'variable_state.surgery.hints') : [];
}

/**
 * Hints of the remap files an `--init` checkpoint's provenance names, when those files are still
 * there unchanged (same sha256); otherwise says why they are not applied.
 */
async function hintsFromProvenance(raw: unknown, messages: string[]): Promise<ResolvedHint[]> {
  if (typeof raw !== 'string') return [];
  let remaps: { path: string; sha256: string }[] = [];
  try {
    remaps = (JSON.parse(raw) as { remaps?: { path: string; sha256: string }[] }).remaps ?? [];
  } catch {
    return [];
  }
  const hints: ResolvedHint[] = [];
  for (const remap of remaps) {
    let text: string;
    try {
      text = readRemapSource(remap.path);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      messages.push(`warning: the checkpoint was made with ${remap.path}, which is not readable now; pass --remap to apply its freeze/lr hints`);
      continue;
    }
    if (createHash('sha256').update(text).digest('hex') !== remap.sha256) {
      messages.push(`warning: ${remap.path} changed since the checkpoint was made; pass --remap to apply its freeze/lr hints`);
      continue;
    }
    hints.push(...hintsFromSource(text, remap.path));
  }
  return hints;
}

function copyWeights(weights: PolicyWeights): PolicyWeights {
  return { tensors: weights.tensors.map((v) => tf.variable(v, false)) };
}

function disposeSlots(state: TrainerState): void {
  for (const slot of state.slots) if (slot) tf.dispose([slot.expAvg, slot.expAvgSq]);
}
