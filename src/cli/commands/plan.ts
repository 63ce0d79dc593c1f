/** `surgery plan SOURCE [REMAP...]`: what a surgery would do, as a review-ready report (no output file). */
import type { CommandModule } from 'yargs';
import { planOptions, surgeryOptions, type PlanArgs } from '../shared-options.ts';
import { printOutcome } from '../print-outcome.ts';

export const planCommand: CommandModule<object, PlanArgs> = {
  command: 'plan <source> [remaps..]',
  describe: 'Show what a surgery would do and whether the result loads (dry run; reads no tensor bytes). Exit 0 ok, 1 plan failed, 2 usage, 3 unreadable input',
  builder: (yargs) => surgeryOptions(yargs) as never,
  handler: async (args) => {
    // Loaded on use: the planner pulls in the remap parser, which other commands should not pay for at startup.
    const { runPlan } = await import('../../plan/run-plan.ts');
    const outcome = await runPlan(planOptions(args));
    printOutcome(outcome);
  },
};
