/**
 * Key manifests: a state dict's keys with shapes and dtypes, without weights, so a team can review
 * a remap against published key lists. Two forms:
 * - TSV, one key a line: `key<TAB>AxBxC<TAB>dtype` (an empty shape field is a 0-d tensor). It names
 *   no state dict, so it stands for every state dict in scope.
 * - JSON: `{"format": "surgery-manifest", "version": 1, "stateDicts": {"model.nets": {"key":
 *   {"shape": [A, B], "dtype": "float32"}}}}`.
 */
import { DTYPE_SIZE, type DType } from '../checkpoint/types.ts';
import { InputError } from '../input-error.ts';
import { ANY_STATE_DICT, type KeySpec, type StateDictSchema } from './model-schema.ts';

export const MANIFEST_FORMAT = 'surgery-manifest';
export const MANIFEST_VERSION = 1;
/** Real manifests are ~100 kB; anything past this is not a manifest and would only exhaust memory. */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
/** Torch supports at most 64 dimensions; a deeper shape is a corrupted line. */
const MAX_RANK = 64;

/** Returns the state dicts of a TSV manifest (one unnamed dict); throws InputError naming the line. */
export function parseTsvManifest(text: string, file: string): StateDictSchema[] {
  const keys = new Map<string, KeySpec>();
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const where = `line ${i + 1}`;
    const fields = line.split('\t');
    if (fields.length !== 3) {
      throw new InputError('manifest/bad-line', file, `${where}: expected "key<TAB>AxBxC<TAB>dtype", found ${fields.length} field(s).`);
    }
    const [key, shapeText, dtypeText] = fields as [string, string, string];
    if (keys.has(key)) throw new InputError('manifest/duplicate-key', file, `${where}: key "${key}" is listed twice.`);
    keys.set(key, { shape: parseShape(shapeText, file, where), dtype: parseDType(dtypeText, file, where) });
  });
  return [{ name: ANY_STATE_DICT, keys }];
}

/** Returns the state dicts of a JSON manifest; throws InputError naming the state dict and key. */
export function parseJsonManifest(text: string, file: string): StateDictSchema[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new InputError('manifest/bad-json', file, `not valid JSON (${(error as Error).message}).`);
  }
  if (!isObject(doc) || doc.format !== MANIFEST_FORMAT || !isObject(doc.stateDicts)) {
    throw new InputError('manifest/bad-json', file, `expected {"format": "${MANIFEST_FORMAT}", "version": ${MANIFEST_VERSION}, "stateDicts": {...}}.`);
  }
  if (doc.version !== MANIFEST_VERSION) {
    throw new InputError('manifest/version', file, `manifest version ${JSON.stringify(doc.version)} is not supported (this surgery reads version ${MANIFEST_VERSION}).`);
  }
  return Object.entries(doc.stateDicts).map(([name, entries]) => ({ name, keys: parseJsonEntries(entries, file, name) }));
}

function parseJsonEntries(entries: unknown, file: string, dictName: string): Map<string, KeySpec> {
  if (!isObject(entries)) throw new InputError('manifest/bad-json', file, `state dict "${dictName}" must map keys to {"shape", "dtype"}.`);
  const keys = new Map<string, KeySpec>();
  for (const [key, spec] of Object.entries(entries)) {
    const where = `state dict "${dictName}", key "${key}"`;
    if (!isObject(spec) || !Array.isArray(spec.shape) || typeof spec.dtype !== 'string') {
      throw new InputError('manifest/bad-json', file, `${where}: expected {"shape": [..], "dtype": ".."}.`);
    }
    const shape = spec.shape.map((d) => checkDim(d, file, where));
    if (shape.length > MAX_RANK) throw new InputError('manifest/bad-shape', file, `${where}: rank ${shape.length} exceeds ${MAX_RANK}.`);
    keys.set(key, { shape, dtype: parseDType(spec.dtype, file, where) });
  }
  return keys;
}

/** Returns the JSON manifest of `dicts`, the inverse of `parseJsonManifest`. */
export function formatJsonManifest(dicts: StateDictSchema[]): string {
  const stateDicts: Record<string, Record<string, { shape: number[]; dtype: DType }>> = {};
  for (const dict of dicts) {
    stateDicts[dict.name] = Object.fromEntries([...dict.keys].map(([k, s]) => [k, { shape: s.shape, dtype: s.dtype }]));
  }
  return `${JSON.stringify({ format: MANIFEST_FORMAT, version: MANIFEST_VERSION, stateDicts }, null, 2)}\n`;
}

function parseShape(text: string, file: string, where: string): number[] {
  if (text === '') return [];
  const dims = text.split('x');
  if (dims.length > MAX_RANK) throw new InputError('manifest/bad-shape', file, `${where}: rank ${dims.length} exceeds ${MAX_RANK}.`);
  return dims.map((d) => {
    if (!/^\d+$/.test(d)) throw new InputError('manifest/bad-shape', file, `${where}: shape "${text}" is not of the form AxBxC.`);
    return checkDim(Number(d), file, where);
  });
}

function checkDim(d: unknown, file: string, where: string): number {
  if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
    throw new InputError('manifest/bad-shape', file, `${where}: dimension ${JSON.stringify(d)} is not a non-negative integer.`);
  }
  return d;
}

function parseDType(text: string, file: string, where: string): DType {
  const name = text.replace(/^torch\./, '');
  if (!(name in DTYPE_SIZE)) {
    throw new InputError('manifest/bad-dtype', file, `${where}: unknown dtype "${text}" (expected one of ${Object.keys(DTYPE_SIZE).join(', ')}).`);
  }
  return name as DType;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
