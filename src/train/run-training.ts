/**
 * `surgery train` as one pipeline: read the config and data, build or load the policy, then run
 * robomimic's training loop (epochs of `run_epoch`, validation, checkpoints) with prefetching,
 * metrics, a live loss plot and progress. Disk is touched here and by the modules it calls for that:
 * the checkpoint writer, training-log.ts (metrics, loss plot) and read-remap-source.ts (remap hints).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InputError } from '../input-error.ts';
import { selectBackend, type BackendChoice } from '../model/backend.ts';
import { validatePolicyConfig, type PolicyConfig } from '../model/config.ts';
import type { PolicySchema } from '../model/schema.ts';
import { disposePolicy } from '../model/policy.ts';
import { openSequenceDataset, type SequenceDataset } from '../data/sequence-dataset.ts';
import { createBatchSampler } from '../data/batch-sampler.ts';
import { inlineReader, workerReader, type BatchReader } from '../data/batch-prefetcher.ts';
import type { DataSource } from '../data/data-spec.ts';
import type { Batch } from '../data/read-batch.ts';
import { drawRandomizers } from '../model/randomize-images.ts';
import { openH5ReadOnly } from '../data/h5.ts';
import { effectiveConfig, validateTrainConfig, type TrainConfig } from './train-config.ts';
import { shapeMetadata } from '../data/shape-metadata.ts';
import { NonFiniteLossError, trainStep, type TrainerState } from './train-step.ts';
import { sampledActionError, validationLoss } from './evaluate.ts';
import { createProgress } from './progress.ts';
import { openTrainingLog, rewindTrainingLog } from './training-log.ts';
import { createRng } from '../random/rng.ts';
import { buildTrainingPolicy, type LoadMode } from './build-training-policy.ts';
import { saveTrainingCheckpoint } from './save-training-checkpoint.ts';
import { checkStepMemory, describeStepMemory, memoryBudget } from './plan-memory.ts';

export interface TrainOptions {
  config: string;
  data?: string[];
  init?: string;
  load: LoadMode;
  remap?: string;
  out: string;
  epochs?: number;
  stepsPerEpoch?: number;
  batchSize?: number;
  /** Differentiate each batch in passes of at most this many elements, accumulating the gradient (default: the whole batch). */
  microBatch?: number;
  seed?: number;
  backend: BackendChoice;
  resume: boolean;
  /** Read batches on a worker thread (default true). */
  prefetch?: boolean;
  /** Informational lines (backend, data, load report, epoch summaries). */
  log: (line: string) => void;
  /** Where the progress bar or plain progress lines go; null silences them. */
  progress: NodeJS.WriteStream | null;
  /** Called after every step (tests watch for leaks here). */
  onStep?: (step: number, loss: number) => void;
}

export interface TrainSummary {
  steps: number;
  epochs: number;
  lastLoss: number;
  lastValidLoss: number | null;
  checkpoint: string;
}

/** Thrown when the loss stops being finite: names the step, the batch's demos and the last good checkpoint. */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
}

/** Runs the whole training described by `options`; resolves with a summary once the last checkpoint is written. */
export async function runTraining(options: TrainOptions): Promise<TrainSummary> {
  const backend = await selectBackend(options.backend);
  options.log(`backend: ${backend.name}${backend.note ? ` (${backend.note})` : ''}`);
  const configText = await readText(options.config);
  const json = parseJson(configText, options.config);
  const train = validateTrainConfig(json, options.config, {
    data: options.data,
    epochs: options.epochs,
    stepsPerEpoch: options.stepsPerEpoch,
    batchSize: options.batchSize,
    seed: options.seed,
  });
  const out = resolve(options.out);
  await mkdir(out, { recursive: true });
  const splits = await chooseSplits(train);
  const dataset = await openSequenceDataset(splits.train, train.dataSpec, { normalizeWeightsBySize: train.normalizeWeightsBySize });
  const validDataset = splits.valid ? await openSequenceDataset(splits.valid, train.dataSpec, { normalization: dataset.actionNormalization }) : null;
  options.log(describeData(dataset, validDataset));
  const shapes = shapeMetadata(dataset);
  const validated = validatePolicyConfig(json, options.config, { acDim: shapes.acDim, allShapes: new Map(shapes.allShapes) });
  for (const warning of validated.warnings) options.log(`warning: ${warning}`);
  const budget = memoryBudget(backend.name);
  const beforeAllocate = (config: PolicyConfig, schema: PolicySchema): void => {
    options.log(describeStepMemory(checkStepMemory(config, schema, { batchSize: train.batchSize, microBatch: options.microBatch }, backend.name, budget, options.config), budget));
  };
  const built = await buildTrainingPolicy({ config: validated.config, train, options, out, beforeAllocate });
  for (const line of built.messages) options.log(line);
  const { policy } = built;
  const sampler = createBatchSampler(dataset, train.batchSize, built.state.rng.uniform);
  const stepsPerEpoch = train.stepsPerEpoch ?? sampler.batchesPerPass;
  if (stepsPerEpoch < 1) {
    throw new InputError('data/too-few-samples', dataset.files[0]!.path, `has ${dataset.samples.length} samples, fewer than one batch of ${train.batchSize}; lower --batch-size.`);
  }
  const state = built.state;
  // robomimic's train.py sets num_train_batches to epoch_every_n_steps, or else to len(trainset) — the
  // number of samples, not batches — and the cosine length is that times num_epochs.
  if (state.schedule.kind === 'cosine') state.schedule = { ...state.schedule, trainingSteps: (train.stepsPerEpoch ?? dataset.samples.length) * train.epochs };
  const randomizers = { obsKeys: policy.config.obsKeys, rgb: policy.config.rgb };
  const reader = options.prefetch === false ? inlineReader(dataset, randomizers) : await workerReader(splits.train, dataset, randomizers);
  const history = options.resume ? await rewindTrainingLog(out, state.step) : { train: [], valid: [] };
  const log = await openTrainingLog(out, `surgery train: ${options.config}`, history);
  const totalSteps = stepsPerEpoch * train.epochs;
  const progress = createProgress(totalSteps, state.step, options.progress ?? undefined, options.progress === null);
  let lastCheckpoint = built.resumedFrom;
  let lastLoss = NaN;
  let lastValid: number | null = built.bestValidLoss;
  let bestValid = built.bestValidLoss;
  const startEpoch = built.startEpoch;
  try {
    await writeFile(join(out, 'config.json'), `${JSON.stringify(effectiveConfig(json, train, splits.train), null, 4)}\n`);
    for (let epoch = startEpoch; epoch <= train.epochs; epoch++) {
      lastLoss = await runEpoch(state, reader, sampler, stepsPerEpoch, epoch, { log, progress, onStep: options.onStep, lastCheckpoint, totalSteps, microBatch: options.microBatch });
      // robomimic `on_epoch_end`: epoch-stepped schedules (linear, multistep) advance here.
      if (state.schedule.kind === 'linear' || state.schedule.kind === 'multistep') state.schedulerEpoch += 1;
      const evalRng = createRng((train.seed * 1000003 + epoch) >>> 0);
      const valid = validDataset ? await evaluateLoss(state, validDataset, train, evalRng, options.microBatch) : null;
      const errorBatch = (validDataset ?? dataset).samples.slice(0, Math.min(train.batchSize, 8));
      const actionError = await sampledActionError(policy, await inlineReader(validDataset ?? dataset).read(errorBatch), evalRng);
      lastValid = valid;
      if (valid !== null && (bestValid === null || valid <= bestValid)) bestValid = valid;
      await log.epoch({ epoch, step: state.step, train_loss_last: lastLoss, valid_loss: valid, sample_action_mse: actionError.trajectoryMse, sample_action_mse_executed: actionError.executedMse, lr: state.baseLr });
      progress.log(`epoch ${epoch}/${train.epochs}: loss ${lastLoss.toPrecision(4)}${valid !== null ? `, valid loss ${valid.toPrecision(4)}` : ''}, sampled-action MSE ${actionError.trajectoryMse.toPrecision(3)}${validDataset ? ' (valid demos)' : ' (train demos)'}`);
      const save = epoch === train.epochs || (train.saveEveryEpochs !== null && epoch % train.saveEveryEpochs === 0);
      if (save) {
        lastCheckpoint = await saveTrainingCheckpoint({ out, epoch, state, dataset, json, train, sources: splits.train, bestValidLoss: bestValid, stepsPerEpoch, hints: built.hints });
        progress.log(`saved ${lastCheckpoint}`);
      }
    }
  } finally {
    progress.stop();
    await log.flush();
    await reader.close();
    dataset.close();
    validDataset?.close();
  }
  const summary = { steps: state.step, epochs: train.epochs, lastLoss, lastValidLoss: lastValid, checkpoint: lastCheckpoint ?? '' };
  disposePolicy(policy);
  built.disposeSlots();
  return summary;
}

interface EpochContext {
  log: Awaited<ReturnType<typeof openTrainingLog>>;
  progress: ReturnType<typeof createProgress>;
  onStep?: (step: number, loss: number) => void;
  lastCheckpoint: string | null;
  totalSteps: number;
  microBatch: number | undefined;
}

/**
 * One `run_epoch`: a fresh pass of the sampler, the next batch always read (and its images
 * randomized) while this one trains. The samples and the randomizer draws are drawn when the batch
 * is asked for, so they come from the run's generator in an order that timing cannot change.
 */
async function runEpoch(state: TrainerState, reader: BatchReader, sampler: ReturnType<typeof createBatchSampler>, steps: number, epoch: number, ctx: EpochContext): Promise<number> {
  const { config } = state.policy;
  const request = (): Promise<Batch> => {
    const refs = sampler.next();
    return reader.read(refs, drawRandomizers(config, refs.length * config.horizon.observation, state.rng.uniform));
  };
  sampler.startEpoch();
  let pending = request();
  let loss = NaN;
  const started = performance.now();
  const firstStep = state.step;
  for (let k = 0; k < steps; k++) {
    const batch = await pending;
    if (k + 1 < steps) pending = request();
    let result;
    try {
      result = await trainStep(state, batch, ctx.microBatch);
    } catch (error) {
      if (!(error instanceof NonFiniteLossError)) throw error;
      const demos = [...new Set(error.refs.map((r) => `${r.demo} (t=${r.t})`))].slice(0, 12).join(', ');
      throw new TrainingDivergedError(
        `Training stopped: the loss is ${error.loss} at step ${error.step} (epoch ${epoch}); nothing was updated in that step. ` +
          `The batch came from ${demos}. ` +
          (ctx.lastCheckpoint ? `Last good checkpoint: ${ctx.lastCheckpoint}. ` : 'No checkpoint was written yet. ') +
          'Lower the learning rate or check those demos for extreme values.',
      );
    }
    loss = result.loss;
    const rate = (state.step - firstStep) / ((performance.now() - started) / 1000);
    await ctx.log.step({ step: state.step, epoch, loss, lr: result.lr, grad_norms: result.gradNorms, steps_per_s: Number(rate.toFixed(3)) });
    ctx.progress.update(state.step, loss, rate);
    ctx.onStep?.(state.step, loss);
  }
  return loss;
}

/** robomimic's validation epoch: `validation_epoch_every_n_steps` batches (default one pass), mean loss. */
async function evaluateLoss(state: TrainerState, dataset: SequenceDataset, train: TrainConfig, rng: ReturnType<typeof createRng>, microBatch: number | undefined): Promise<number | null> {
  const batchSize = Math.min(train.batchSize, dataset.samples.length);
  const sampler = createBatchSampler(dataset, batchSize, rng.uniform);
  const steps = train.validationSteps ?? Math.max(1, sampler.batchesPerPass);
  const reader = inlineReader(dataset);
  sampler.startEpoch();
  let sum = 0;
  for (let k = 0; k < steps; k++) sum += await validationLoss(state.policy, await reader.read(sampler.next()), rng, microBatch);
  return sum / steps;
}

/**
 * Train and validation demos per file: the config's filter keys; without them, files that have
 * both `mask/train` and `mask/valid` train on `train` and validate on `valid` (so the validation
 * demos are never trained on), and files without masks train on every demo.
 */
async function chooseSplits(train: TrainConfig): Promise<{ train: DataSource[]; valid: DataSource[] | null }> {
  const trainSources: DataSource[] = [];
  const validSources: DataSource[] = [];
  for (const source of train.sources) {
    const masks = await listMasks(source.path);
    const validKey = train.validationFilterKey ?? (masks.includes('valid') ? 'valid' : null);
    const trainKey = source.filterKey ?? (validKey && masks.includes('train') ? 'train' : null);
    trainSources.push({ ...source, filterKey: trainKey });
    if (validKey) validSources.push({ ...source, filterKey: validKey });
  }
  return { train: trainSources, valid: validSources.length ? validSources : null };
}

async function listMasks(path: string): Promise<string[]> {
  const file = await openH5ReadOnly(path);
  try {
    const mask = file.get('mask');
    return mask && 'keys' in mask ? (mask as { keys(): string[] }).keys() : [];
  } finally {
    file.close();
  }
}

function describeData(train: SequenceDataset, valid: SequenceDataset | null): string {
  const files = train.files.map((f, i) => `${f.path} (${f.demos.length} demos${train.sources[i]!.filterKey ? ` in mask/${train.sources[i]!.filterKey}` : ''})`).join(', ');
  return `data: ${train.samples.length} training samples from ${files}${valid ? `; ${valid.samples.length} validation samples` : '; no validation demos (no mask/valid)'}`;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError('io/unreadable', path, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError('config/invalid-json', path, `is not valid JSON (${(error as Error).message}).`);
  }
}
