/** Every `surgery` subcommand, in the order `--help` lists them. */
import type { CommandModule } from 'yargs';
import { checkCommand } from './check.ts';
import { fmtCommand } from './fmt.ts';
import { planCommand } from './plan.ts';
import { applyCommand } from './apply.ts';
import { trainCommand } from './train.ts';
import { inspectCommand } from './inspect.ts';
import { convertCommand } from './convert.ts';
import { initCommand } from './init.ts';
import { predictCommand } from './predict.ts';
import { demoCommand } from './demo.ts';
import { suggestCommand } from './suggest.ts';
import { verifyCommand } from './verify.ts';

// Each command file exports one CommandModule; add yours here.
export const commands: CommandModule<any, any>[] = [checkCommand, fmtCommand, suggestCommand, planCommand, applyCommand, verifyCommand, trainCommand, inspectCommand, convertCommand, initCommand, predictCommand, demoCommand];
