/** `surgery fmt`: rewrites `.remap` files in the canonical layout, or (`--check`) reports the ones that are not. */
import { renameSync, writeFileSync } from 'node:fs';
import { parseRemap, printRemap } from '../../grammar/index.ts';
import { printDiagnostics } from '../report/print-diagnostics.ts';
import { readRemapSource } from './read-remap-source.ts';

/** Options of `formatRemapFiles`. */
export interface FormatOptions {
  /** Only report files that are not formatted; write nothing. */
  check: boolean;
  colour?: boolean;
}

/**
 * Returns what to print and whether all went well: every file parsed and (with `check`) was already formatted.
 * A file with syntax errors is never rewritten; a rewrite goes through a temporary file and a rename, so a crash
 * cannot leave half a file.
 */
export function formatRemapFiles(paths: readonly string[], options: FormatOptions): { output: string; ok: boolean } {
  const lines: string[] = [];
  let ok = true;
  for (const path of paths) {
    const source = readRemapSource(path);
    const parsed = parseRemap(source, path);
    if (parsed.diagnostics.length) {
      ok = false;
      lines.push(printDiagnostics(parsed.diagnostics, (f) => (f === path ? source : undefined), { colour: options.colour ?? false }));
      lines.push(`${path}: not formatted: fix the syntax errors first`);
      continue;
    }
    const formatted = printRemap(parsed.file, { source });
    if (formatted === source) continue;
    if (options.check) {
      ok = false;
      lines.push(`${path}: not formatted; run \`surgery fmt ${path}\``);
      continue;
    }
    const temporary = `${path}.${process.pid}.fmt-tmp`;
    writeFileSync(temporary, formatted, 'utf8');
    renameSync(temporary, path);
    lines.push(`formatted ${path}`);
  }
  return { output: lines.join('\n'), ok };
}
