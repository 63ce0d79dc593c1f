/** Shared helpers for planner tests: parse remap text, build manifest schemas, resolve. */
import { readFileSync } from 'node:fs';
import { parseRemap } from '../../grammar/index.ts';
import type { DType } from '../../src/checkpoint/types.ts';
import { parseTsvManifest } from '../../src/plan/read-manifest.ts';
import type { ModelSchema } from '../../src/plan/model-schema.ts';
import { resolvePlan } from '../../src/plan/resolve-plan.ts';
import type { Plan } from '../../src/plan/plan-types.ts';
import type { RemapSource } from '../../src/plan/rule-refs.ts';
import { REFERENCE_DIR } from '../support/reference.ts';

/** The reference fixtures' folder without its trailing slash, for `${REFERENCE}/file`. */
export const REFERENCE = REFERENCE_DIR.slice(0, -1);

/** Returns a parsed remap; throws when the text has syntax errors (tests must feed valid programs). */
export function remap(text: string, file = 'test.remap'): RemapSource {
  const parsed = parseRemap(text, file);
  if (parsed.diagnostics.length) throw new Error(`test remap does not parse: ${parsed.diagnostics.map((d) => d.message).join('; ')}`);
  return { file, text, ast: parsed.file };
}

/** Returns a manifest schema with one named state dict (or several) from `key: shape` pairs. */
export function manifest(dicts: Record<string, Record<string, number[] | [number[], DType]>>, path = 'manifest.json'): ModelSchema {
  return {
    kind: 'manifest',
    path,
    stateDicts: Object.entries(dicts).map(([name, keys]) => ({
      name,
      keys: new Map(Object.entries(keys).map(([k, v]) => [k, Array.isArray(v[0]) ? { shape: v[0] as number[], dtype: v[1] as DType } : { shape: v as number[], dtype: 'float32' as DType }])),
    })),
  };
}

/** Returns a reference TSV manifest (`full_size/<name>.tsv`) as a schema. */
export function referenceTsv(name: string): ModelSchema {
  const path = `${REFERENCE}/full_size/${name}.tsv`;
  return { kind: 'manifest', path: `${name}.tsv`, stateDicts: parseTsvManifest(readFileSync(path, 'utf8'), path) };
}

/** Resolves with defaults: strict, fill on. */
export function plan(source: ModelSchema, target: ModelSchema | null, remaps: RemapSource[], options: { mode?: 'strict' | 'loose'; fill?: boolean } = {}): Plan {
  return resolvePlan({ source, target, remaps, mode: options.mode ?? 'strict', fill: options.fill ?? true });
}

/** Returns `code: message` lines of a plan's diagnostics, for exact assertions. */
export function problems(p: Plan): string[] {
  return p.diagnostics.map((d) => `${d.severity} ${d.code}: ${d.message}`);
}
