/** Converts the remap AST's init (`with normal(0.02)`) into the planner's `InitSpec`. */
import type { InitSpec as AstInit } from '../../grammar/index.ts';
import { invariant } from '../invariant.ts';
import type { InitSpec } from './init-values.ts';

/**
 * Returns the planner's init for an AST init; null (no `with`) means `default`. Unknown kinds and
 * wrong arities are reported by the grammar's semantic checks before planning, so they cannot reach here.
 */
export function toInitSpec(init: AstInit | null): InitSpec {
  if (init === null) return { kind: 'default' };
  const name = init.name.value;
  if (name === 'normal') return { kind: 'normal', std: init.args[0] ?? 1 };
  if (name === 'uniform') return { kind: 'uniform', low: init.args[0] ?? 0, high: init.args[1] ?? 1 };
  invariant(name === 'zeros' || name === 'ones' || name === 'kaiming' || name === 'xavier' || name === 'target' || name === 'default', `unknown init kind "${name}" reached the planner`);
  return { kind: name };
}

/** Returns the init as a remap file would write it (`normal(0.02)`), for reports. */
export function formatInit(init: InitSpec): string {
  if (init.kind === 'normal') return `normal(${init.std})`;
  if (init.kind === 'uniform') return `uniform(${init.low}, ${init.high})`;
  return init.kind;
}
