/**
 * `remap/malformed-pattern`: patterns that parse but cannot mean one thing — two wildcards side by side in a segment
 * (`*{cam}`: where would one end?), `**.**` (the same as `**`), a capture name bound twice, an empty quoted segment.
 * Templates (the right of `->`, the key after `source`) are filled rather than matched, so only the empty-segment
 * rule applies to them: `**.module.** -> **.**` is fine.
 */
import type { Diagnostic } from '../../src/diagnostics.ts';
import type { KeyPattern, PatternSegment, RemapFile, Statement } from '../ast.ts';
import { printPattern } from '../print-remap.ts';
import { error, patternsOf, type CheckRule } from './check-rule.ts';

const CODE = 'remap/malformed-pattern';

/** Reports patterns that cannot mean one thing. */
export const malformedPattern: CheckRule = {
  codes: [CODE],
  check(file: RemapFile): Diagnostic[] {
    return file.statements.flatMap((s) => {
      const templates = new Set(templatesOf(s));
      return patternsOf(s).flatMap((p) => checkPattern(p, templates.has(p)));
    });
  },
};

function templatesOf(s: Statement): KeyPattern[] {
  if (s.kind === 'Rename') return [s.to];
  if (s.kind === 'Assign' && s.source) return [s.source];
  return [];
}

function checkPattern(p: KeyPattern, template: boolean): Diagnostic[] {
  const out: Diagnostic[] = [];
  const bound = new Set<string>();
  p.segments.forEach((segment, i) => {
    const previous = p.segments[i - 1];
    if (!template && previous && isGlobstar(previous) && isGlobstar(segment)) {
      out.push(error(CODE, `"${printPattern(p)}" has two '**' segments in a row, which match the same keys as one; write one`, [segment.span]));
    }
    if (segment.parts.every((part) => part.kind === 'Literal' && part.value === '')) {
      out.push(error(CODE, `"${printPattern(p)}" has an empty key segment`, [segment.span]));
    }
    segment.parts.forEach((part, j) => {
      const before = segment.parts[j - 1];
      if (!template && part.kind === 'Wildcard' && before?.kind === 'Wildcard') {
        out.push(
          error(CODE, `"${printPattern(p)}" has two wildcards side by side, so what each matches is ambiguous; put text between them or keep one`, [
            { ...before.span, end: part.span.end },
          ]),
        );
      }
      if (!template && part.kind === 'Wildcard' && part.name !== null) {
        if (bound.has(part.name)) out.push(error(CODE, `capture "{${part.name}}" is bound twice in "${printPattern(p)}"; rename one`, [part.span]));
        bound.add(part.name);
      }
    });
  });
  return out;
}

function isGlobstar(segment: PatternSegment): boolean {
  const [only] = segment.parts;
  return segment.parts.length === 1 && only!.kind === 'Wildcard' && only!.many;
}
