/**
 * `remap/unknown-metric`: `expect` names a metric that is not one of `vocabulary.ts`'s. `remap/invalid-percent`: a
 * percentage outside 0–100.
 */
import type { Diagnostic } from '../../src/diagnostics.ts';
import type { RemapFile } from '../ast.ts';
import { METRICS } from '../vocabulary.ts';
import { error, type CheckRule } from './check-rule.ts';
import { didYouMeanSuffix } from './closest-name.ts';

const UNKNOWN = 'remap/unknown-metric';
const PERCENT = 'remap/invalid-percent';

/** Reports unknown metrics and percentages outside 0–100. */
export const unknownMetric: CheckRule = {
  codes: [UNKNOWN, PERCENT],
  check(file: RemapFile): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const s of file.statements) {
      if (s.kind !== 'ExpectCount' && s.kind !== 'ExpectWithin') continue;
      const metric = s.metric.value;
      if (!METRICS.includes(metric)) {
        out.push(
          error(UNKNOWN, `unknown metric "${metric}".${didYouMeanSuffix(metric, METRICS)}`, [s.metric.span], `known metrics: ${METRICS.join(', ')}`),
        );
      }
      if (s.kind === 'ExpectCount' && s.percent && !(s.value >= 0 && s.value <= 100)) {
        out.push(error(PERCENT, `a percentage must be between 0 and 100, not ${s.value}`, [s.span]));
      }
    }
    return out;
  },
};
