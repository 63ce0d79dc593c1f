/** `surgery check`: parses and checks `.remap` files and renders what it found. */
import { analyzeRemap } from '../../grammar/index.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { locateDiagnostics, printDiagnostics, type LocatedDiagnostic } from '../report/print-diagnostics.ts';
import { readRemapSource } from './read-remap-source.ts';

/** Options of `checkRemapFiles`: the output format and whether to colour it. */
export interface CheckOptions {
  format: 'text' | 'json';
  colour?: boolean;
}

/** The JSON document `surgery check --format json` prints. */
export interface CheckReport {
  clean: boolean;
  files: { file: string; diagnostics: LocatedDiagnostic[] }[];
}

/** Returns the rendered result of checking `paths` and whether every file was clean (no diagnostics at all). */
export function checkRemapFiles(paths: readonly string[], options: CheckOptions): { output: string; clean: boolean } {
  const sources = new Map<string, string>();
  const results: { file: string; diagnostics: Diagnostic[] }[] = [];
  for (const path of paths) {
    const source = readRemapSource(path);
    sources.set(path, source);
    results.push({ file: path, diagnostics: analyzeRemap(source, path).diagnostics });
  }
  const clean = results.every((r) => r.diagnostics.length === 0);
  const lookup = (file: string): string | undefined => sources.get(file);
  if (options.format === 'json') {
    const report: CheckReport = {
      clean,
      files: results.map((r) => ({ file: r.file, diagnostics: locateDiagnostics(r.diagnostics, lookup) })),
    };
    return { output: JSON.stringify(report, null, 2), clean };
  }
  const all = results.flatMap((r) => r.diagnostics);
  const files = `${paths.length} file${paths.length === 1 ? '' : 's'}`;
  const summary = clean ? `checked ${files}: no problems` : `${all.length} problem${all.length === 1 ? '' : 's'} in ${files}`;
  const body = printDiagnostics(all, lookup, { colour: options.colour ?? false });
  return { output: body ? `${body}\n\n${summary}` : summary, clean };
}
