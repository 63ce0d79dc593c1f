/**
 * `remap/unbound-capture`: the right-hand side of a rename (or the `source` key of an assignment) uses a wildcard the
 * left-hand side does not bind: a named capture the left lacks, or more anonymous `*` / `**` than the left has (they
 * are filled by position).
 */
import type { Diagnostic } from '../../src/diagnostics.ts';
import type { KeyPattern, RemapFile, WildcardPart } from '../ast.ts';
import { error, type CheckRule } from './check-rule.ts';

const CODE = 'remap/unbound-capture';

/** Reports wildcards on the right that the left does not bind. */
export const unboundCapture: CheckRule = {
  codes: [CODE],
  check(file: RemapFile): Diagnostic[] {
    return file.statements.flatMap((s) => {
      if (s.kind === 'Rename') return checkPair(s.from, s.to, "'->'");
      if (s.kind === 'Assign' && s.source) return checkPair(s.target, s.source, "'<- source'");
      return [];
    });
  },
};

function checkPair(left: KeyPattern, right: KeyPattern, arrow: string): Diagnostic[] {
  const leftWildcards = wildcards(left);
  const names = new Set(leftWildcards.flatMap((w) => (w.name === null ? [] : [w.name])));
  const out: Diagnostic[] = [];
  const seen = { one: 0, many: 0 };
  const available = {
    one: leftWildcards.filter((w) => w.name === null && !w.many).length,
    many: leftWildcards.filter((w) => w.name === null && w.many).length,
  };
  for (const w of wildcards(right)) {
    if (w.name !== null) {
      if (!names.has(w.name)) {
        out.push(error(CODE, `capture "{${w.name}}" is not bound by the key pattern before ${arrow}`, [w.span, left.span]));
      }
      continue;
    }
    const kind = w.many ? 'many' : 'one';
    seen[kind]++;
    if (seen[kind] > available[kind]) {
      const star = w.many ? '**' : '*';
      out.push(
        error(
          CODE,
          `this '${star}' has no '${star}' to take its text from before ${arrow} (anonymous wildcards are filled by position)`,
          [w.span, left.span],
          "name the wildcards, e.g. '{cam}' on both sides, to say which goes where",
        ),
      );
    }
  }
  return out;
}

function wildcards(p: KeyPattern): WildcardPart[] {
  return p.segments.flatMap((s) => s.parts.filter((part): part is WildcardPart => part.kind === 'Wildcard'));
}
