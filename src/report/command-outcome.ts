/** What a command prints and its exit code, and the helpers plan, apply, suggest and verify build it with. */
import { writeTextAtomically } from '../checkpoint/write-atomically.ts';
import { EXIT } from '../exit-codes.ts';
import { printDiagnostics } from './print-diagnostics.ts';
import type { ReportFormat } from './render-report.ts';

export interface ReportOptions {
  format: ReportFormat;
  /** Write the report here instead of stdout. */
  report?: string;
  colour: boolean;
}

/** What a command prints and the exit code it ends with. */
export interface CommandOutcome {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Returns `outcome` with the remap files' warnings (they do not stop a plan) printed first on stderr. */
export function withRemapWarnings(outcome: CommandOutcome, diagnostics: Parameters<typeof printDiagnostics>[0], sources: Map<string, string>, colour: boolean): CommandOutcome {
  if (diagnostics.length === 0) return outcome;
  return { ...outcome, stderr: `${printDiagnostics(diagnostics, (file) => sources.get(file), { colour })}\n\n${outcome.stderr}` };
}

/** Returns the outcome of remap files that do not check: their diagnostics with code frames, exit 1. */
export function remapFailure(diagnostics: Parameters<typeof printDiagnostics>[0], sources: Map<string, string>, colour: boolean): CommandOutcome {
  const printed = printDiagnostics(diagnostics, (file) => sources.get(file), { colour });
  return { stdout: '', stderr: `${printed}\n\nThe remap has errors; fix them first (\`surgery check\` lists them).\n`, exitCode: EXIT.failed };
}

/**
 * Returns the outcome that prints `report`, or writes it to `--report FILE` and prints one line
 * (with `failure` in brackets when the exit code is not ok). The file is written atomically and
 * may not be any of `inputs`, the files the command read or wrote.
 */
export async function emitReport(report: string, options: ReportOptions, exitCode: number, inputs: readonly string[], failure = 'the plan has errors'): Promise<CommandOutcome> {
  if (!options.report) return { stdout: report, stderr: '', exitCode };
  await writeTextAtomically(options.report, report, inputs);
  return { stdout: '', stderr: `report written to ${options.report}${exitCode === EXIT.ok ? '' : ` (${failure})`}\n`, exitCode };
}
