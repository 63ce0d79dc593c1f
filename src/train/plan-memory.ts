/**
 * The memory plan of a training step, made before any tensor exists: what a step at batch B needs
 * (weights, EMA copy, Adam moments, gradients, activations), what the backend can hold, and a
 * refusal that says what to change when it does not fit — instead of a crash deep in a kernel
 * (the wasm heap's "memory access out of bounds").
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
  /** Every tensor of `model.nets` (parameters and buffers). */
  weights: number;
  /** `model.ema`'s copy (0 without EMA). */
  ema: number;
  /** Adam's two moments per trainable parameter. */
  adamMoments: number;
  /** One gradient per trainable parameter. */
  gradients: number;
  /** Forward tensors kept for the backward pass and the backward pass's working set. */
  activations: number;
  total: number;
}

/** What a backend can hold, and how to say it. */
export interface MemoryBudget {
  bytes: number;
  /** e.g. "the wasm heap limit", "the free system memory". */
  what: string;
}

/** Returns the bytes a training step at `batchSize` needs (no tensor is allocated). */
export function planStepMemory(config: PolicyConfig, schema: PolicySchema, batchSize: number): StepMemoryPlan {
  const all = schema.params.reduce((n, p) => n + numelOf(p.shape), 0) * FLOAT32_BYTES;
  const trainable = schema.params.filter((p) => p.trainable).reduce((n, p) => n + numelOf(p.shape), 0) * FLOAT32_BYTES;
  const plan = {
    batchSize,
    weights: all,
    ema: config.ema.enabled ? all : 0,
    adamMoments: 2 * trainable,
    gradients: trainable,
    activations: estimateActivationBytes(config, batchSize),
  };
  return { ...plan, total: plan.weights + plan.ema + plan.adamMoments + plan.gradients + plan.activations };
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
  return `memory: a step at batch ${plan.batchSize} needs about ${gib(plan.total)} (${partsOf(plan)})${room}`;
}

function partsOf(plan: StepMemoryPlan): string {
  return `weights ${gib(plan.weights)}, EMA ${gib(plan.ema)}, Adam moments ${gib(plan.adamMoments)}, gradients ${gib(plan.gradients)}, activations ${gib(plan.activations)}`;
}

/**
 * Throws `train/out-of-memory` (naming `configPath`, where the batch size comes from) when the
 * step at `batchSize` does not fit `budget`, saying the largest batch that does, or that the
 * model's state alone is too large, and which other backend to use.
 */
export function checkStepMemory(config: PolicyConfig, schema: PolicySchema, batchSize: number, backend: string, budget: MemoryBudget | null, configPath: string): StepMemoryPlan {
  const plan = planStepMemory(config, schema, batchSize);
  if (!budget || fits(plan, budget)) return plan;
  let largest = 0;
  for (let b = batchSize - 1; b >= 1 && !largest; b--) if (fits(planStepMemory(config, schema, b), budget)) largest = b;
  const other = backend === 'wasm' ? '--backend webgpu (a GPU) or --backend cpu (system memory, slower)' : '--backend webgpu (a GPU) or a machine with more memory';
  const wayOut = largest
    ? `Use --batch-size ${largest} or lower, or ${other}.`
    : `Even batch 1 (${gib(planStepMemory(config, schema, 1).total)}) does not fit: the model's weights, EMA and optimizer state alone are ${gib(plan.total - plan.activations)}. Use ${other}.`;
  throw new InputError(
    'train/out-of-memory',
    configPath,
    `a training step at batch ${batchSize} needs about ${gib(plan.total)} on the ${backend} backend, more than ${budget.what} allows (${gib(budget.bytes * BUDGET_SHARE)} of ${gib(budget.bytes)}) (${partsOf(plan)}). ${wayOut}`,
  );
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}
