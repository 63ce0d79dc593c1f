/** Runs every semantic check over a parsed `.remap` file. */
import type { Diagnostic } from '../../src/diagnostics.ts';
import type { RemapFile } from '../ast.ts';
import { capDiagnostics } from '../parse-remap.ts';
import type { CheckRule } from './check-rule.ts';
import { contradiction } from './contradiction.ts';
import { duplicateRule } from './duplicate-rule.ts';
import { invalidSlice } from './invalid-slice.ts';
import { letNames } from './let-names.ts';
import { malformedPattern } from './malformed-pattern.ts';
import { renameShape } from './rename-shape.ts';
import { settings } from './settings.ts';
import { unboundCapture } from './unbound-capture.ts';
import { unknownDtype } from './unknown-dtype.ts';
import { unknownInit } from './unknown-init.ts';
import { unknownMetric } from './unknown-metric.ts';

/** Every rule, in the order their diagnostics are reported for one statement. */
export const ALL_CHECKS: readonly CheckRule[] = [
  settings,
  malformedPattern,
  renameShape,
  unboundCapture,
  letNames,
  invalidSlice,
  unknownInit,
  unknownMetric,
  unknownDtype,
  contradiction,
  duplicateRule,
];

/** Returns the semantic diagnostics of `file`, in source order, capped at MAX_DIAGNOSTICS. */
export function checkRemap(file: RemapFile, rules: readonly CheckRule[] = ALL_CHECKS): Diagnostic[] {
  const found = rules.flatMap((rule) => rule.check(file));
  // A stable sort keeps rule order for diagnostics at the same place.
  found.sort((a, b) => a.spans[0]!.start - b.spans[0]!.start);
  return capDiagnostics(found);
}
