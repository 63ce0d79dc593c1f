/**
 * robomimic's learning-rate schedules (`TorchUtils.lr_scheduler_from_optim_params`) as functions
 * of the scheduler's `last_epoch`: constant (no scheduler), linear and multistep (stepped per
 * epoch) and the cosine with linear warm-up of upstream v0.5 (a `LambdaLR` stepped per batch).
 */

export type LrSchedule =
  | { kind: 'constant' }
  | { kind: 'cosine'; warmupSteps: number; trainingSteps: number; numCycles: number }
  | { kind: 'linear'; endFactor: number; totalIters: number }
  | { kind: 'multistep'; milestones: number[]; gamma: number };

/** Returns whether the scheduler steps after every batch (`step_every_batch`) rather than each epoch. */
export function stepsEveryBatch(schedule: LrSchedule): boolean {
  return schedule.kind === 'cosine';
}

/**
 * Returns the multiplier of the initial learning rate after `lastEpoch` scheduler steps (torch's
 * `last_epoch`; 0 right after construction), computed in double precision as torch does.
 */
export function lrFactor(schedule: LrSchedule, lastEpoch: number): number {
  switch (schedule.kind) {
    case 'constant':
      return 1;
    case 'cosine': {
      // diffusers' get_cosine_schedule_with_warmup, as robomimic copies it.
      const { warmupSteps, trainingSteps, numCycles } = schedule;
      if (lastEpoch < warmupSteps) return lastEpoch / Math.max(1, warmupSteps);
      const progress = (lastEpoch - warmupSteps) / Math.max(1, trainingSteps - warmupSteps);
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * numCycles * 2 * progress)));
    }
    case 'linear': {
      const t = Math.min(lastEpoch, schedule.totalIters);
      return 1 + ((schedule.endFactor - 1) * t) / schedule.totalIters;
    }
    case 'multistep':
      return schedule.gamma ** schedule.milestones.filter((m) => m <= lastEpoch).length;
  }
}
