/**
 * The memory plan of a training step, made before any tensor exists: what a step at batch B needs
 * (weights, EMA copy, Adam moments, gradients, activations — of one micro-batch when the batch is
 * split, plus the gradient accumulator), what the backend can hold, and a refusal that says what
 * to change when it does not fit — instead of a crash deep in a kernel (the wasm heap's "memory
 * access out of bounds").
 */
import { freemem } from 'node:os';
import type { PolicyConfig } from '../model/config.ts';
import type { PolicySchema } from '../model/schema.ts';

import { InputError } from '../input-error.ts';
import { estimateActivationBytes } from './estimate-activations.ts';
import { numelOf } from '../checkpoint/py-value.ts';

const FLOAT32_BYTES = 4;
/** tfjs-backend-wasm's heap cannot grow past this (its `getHeapMax`: 4 GiB less one 64 KiB page). */
export const WASM_HEAP_MAX_BYTES = 4294901760;
/**
 * The share of a budget a plan may fill: the wasm allocator fragments as tensors of many sizes
 * come and go, and the estimate is an estimate.
 */
export const BUDGET_SHARE = 0.9;

/** Bytes a training step needs, by what holds them. */
export interface StepMemoryPlan {
  batchSize: number;
  /** Elements per forward and backward pass (`batchSize` when the batch is not split). */
  microBatch: number;
  /** Every tensor of `model.nets` (parameters and buffers). */
  weights: number;
  /** `model.ema`'s copy (0 without EMA). */
  ema: number;
  /** Adam's two moments per trainable parameter. */
  adamMoments: number;
  /** One gradient per trainable parameter. */
  gradients: number;
  /** The running sum of the micro-batches' gradients while the next one is differentiated (0 for one pass). */
  accumulator: number;
  /** Forward tensors kept for the backward pass and the backward pass's working set, for one micro-batch. */
  activations: number;
  total: number;
}

/** How large a step is: the batch, and how many of its elements one pass takes (default: all). */
export interface StepSize {
  batchSize: number;
  microBatch?: number;
}

/** What a backend can hold, and how to say it. */
export interface MemoryBudget {
  bytes: number;
  /** e.g. "the wasm heap limit", "the free system memory". */
  what: string;
}

/**
 * Returns the bytes a training step at `batchSize` needs, differentiated in passes of at most
 * `microBatch` elements (default: the whole batch in one); no tensor is allocated.
 */
export function planStepMemory(config: PolicyConfig, schema: PolicySchema, batchSize: number, microBatch = batchSize): StepMemoryPlan {
  const all = schema.params.reduce((n, p) => n + numelOf(p.shape), 0) * FLOAT32_BYTES;
  const trainable = schema.params.filter((p) => p.trainable).reduce((n, p) => n + numelOf(p.shape), 0) * FLOAT32_BYTES;
  const perPass = Math.min(microBatch, batchSize);
  const plan = {
    batchSize,
    microBatch: perPass,
    weights: all,
    ema: config.ema.enabled ? all : 0,
    adamMoments: 2 * trainable,
    gradients: trainable,
    accumulator: perPass < batchSize ? trainable : 0,
    activations: estimateActivationBytes(config, perPass),
  };
  return { ...plan, total: plan.weights + plan.ema + plan.adamMoments + plan.gradients + plan.accumulator + plan.activations };
}

/**
 * Returns what the backend named `backend` can hold: the wasm heap's hard limit; for the CPU
 * backends (tensors in the process's own memory) the system memory free now; null where the
 * backend reports no limit (a GPU through WebGPU does not say how much memory it has).
 */
export function memoryBudget(backend: string): MemoryBudget | null {
  if (backend === 'wasm') return { bytes: WASM_HEAP_MAX_BYTES, what: 'the wasm heap limit' };
  if (backend === 'cpu' || backend === 'tensorflow') return { bytes: freemem(), what: 'the free system memory' };
  return null;
}

/** Returns whether `plan` fits in `budget` with the allocator's headroom. */
export function fits(plan: StepMemoryPlan, budget: MemoryBudget): boolean {
  return plan.total <= budget.bytes * BUDGET_SHARE;
}

/** Returns the one-line summary the trainer logs before it allocates anything. */
export function describeStepMemory(plan: StepMemoryPlan, budget: MemoryBudget | null): string {
  const room = budget ? `; ${budget.what} is ${gib(budget.bytes)}` : '';
  return `memory: a step at ${stepOf(plan)} needs about ${gib(plan.total)} (${partsOf(plan)})${room}`;
}

/** "batch 64", or "batch 64 in micro-batches of 8" when it is split. */
function stepOf(plan: StepMemoryPlan): string {
  return plan.microBatch < plan.batchSize ? `batch ${plan.batchSize} in micro-batches of ${plan.microBatch}` : `batch ${plan.batchSize}`;
}

function partsOf(plan: StepMemoryPlan): string {
  const accumulator = plan.accumulator ? `, gradient accumulator ${gib(plan.accumulator)}` : '';
  return `weights ${gib(plan.weights)}, EMA ${gib(plan.ema)}, Adam moments ${gib(plan.adamMoments)}, gradients ${gib(plan.gradients)}${accumulator}, activations ${gib(plan.activations)}`;
}

/**
 * Returns the plan of a step at `step.batchSize` in micro-batches of `step.microBatch` (default:
 * none), or throws `train/out-of-memory` (naming `configPath`, where the batch size comes from) when it does not fit `budget`, saying the largest
 * micro-batch that does (the same training, in more passes), the largest batch that does without
 * splitting, or that the model's state alone is too large, and which other backend to use.
 */
export function checkStepMemory(config: PolicyConfig, schema: PolicySchema, step: StepSize, backend: string, budget: MemoryBudget | null, configPath: string): StepMemoryPlan {
  const { batchSize } = step;
  const plan = planStepMemory(config, schema, batchSize, step.microBatch);
  if (!budget || fits(plan, budget)) return plan;
  const largest = (from: number, planAt: (n: number) => StepMemoryPlan): number => {
    for (let n = from; n >= 1; n--) if (fits(planAt(n), budget)) return n;
    return 0;
  };
  const micro = largest(plan.microBatch - 1, (m) => planStepMemory(config, schema, batchSize, m));
  const batch = largest(batchSize - 1, (b) => planStepMemory(config, schema, b));
  const other = backend === 'wasm' ? '--backend webgpu (a GPU) or --backend cpu (system memory, slower)' : '--backend webgpu (a GPU) or a machine with more memory';
  const ways = [
    ...(micro ? [`--micro-batch ${micro} (batch ${batchSize} in ${Math.ceil(batchSize / micro)} passes, the same training)`] : []),
    ...(batch ? [`--batch-size ${batch} or lower`] : []),
  ];
  const wayOut = ways.length
    ? `Use ${ways.join(', or ')}, or ${other}.`
    : `Even batch 1 (${gib(planStepMemory(config, schema, 1).total)}) does not fit: the model's weights, EMA and optimizer state alone are ${gib(plan.total - plan.activations - plan.accumulator)}. Use ${other}.`;
  throw new InputError(
    'train/out-of-memory',
    configPath,
    `a training step at ${stepOf(plan)} needs about ${gib(plan.total)} on the ${backend} backend, more than ${budget.what} allows (${gib(budget.bytes * BUDGET_SHARE)} of ${gib(budget.bytes)}) (${partsOf(plan)}). ${wayOut}`,
  );
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}
