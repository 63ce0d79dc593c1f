/** The shape of a semantic check, and the small helpers the checks share. */
import type { Diagnostic, Span } from '../../src/diagnostics.ts';
import type { KeyPattern, RemapFile, Statement } from '../ast.ts';

/** A semantic check: returns the diagnostics it finds in one parsed file (empty when the file is fine). */
export interface CheckRule {
  /** The diagnostic codes this rule can report (documentation and tests). */
  codes: readonly string[];
  check(file: RemapFile): Diagnostic[];
}

/** Returns an error diagnostic; the first span is the primary one. */
export function error(code: string, message: string, spans: Span[], hint?: string): Diagnostic {
  return hint === undefined ? { code, severity: 'error', message, spans } : { code, severity: 'error', message, spans, hint };
}

/** Returns every key pattern a statement contains, left to right. */
export function patternsOf(s: Statement): KeyPattern[] {
  switch (s.kind) {
    case 'In':
      return s.scopes;
    case 'Rename':
      return [s.from, s.to];
    case 'Assign':
      return s.source ? [s.target, s.source] : [s.target];
    case 'Drop':
    case 'Reinit':
    case 'Allow':
    case 'Freeze':
    case 'Lr':
    case 'Cast':
      return [s.pattern];
    case 'ExpectCount':
      return s.scope ? [s.scope] : [];
    case 'ExpectWithin':
      return [s.scope];
    case 'Version':
    case 'Let':
    case 'OnMismatch':
      return [];
  }
}
