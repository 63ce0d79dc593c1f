/**
 * One robomimic/LIBERO demonstration file opened for training: its demo list (after the mask),
 * demo lengths, per-key shapes, env metadata, and row-range reads. Every dataset the trainer will
 * read is located, shape-checked and filter-checked here, once, so a bad file fails before step 1.
 */
import { InputError } from '../input-error.ts';
import type { DataSource, DataSpec, ObsKind } from './data-spec.ts';
import { bigintToNumber, openH5ReadOnly, readAttr, requireDataset, requireGroup, type Dataset, type H5File } from './h5.ts';

/** A LIBERO demo has a few hundred steps; anything past this is a corrupt `num_samples`. */
const MAX_DEMO_LENGTH = 10_000_000;

export interface DemoInfo {
  /** `demo_7`. */
  name: string;
  length: number;
}

export interface DemoFile {
  path: string;
  demos: DemoInfo[];
  /** `data.attrs['env_args']` parsed (robomimic `get_env_metadata_from_dataset`). */
  envMetadata: Record<string, unknown>;
  /** Per obs key, the per-frame stored shape (`[H, W, C]` for rgb, `[D]` for low-dim). */
  obsShapes: Map<string, number[]>;
  /** Per action key, its width (a 1-D dataset counts as width 1). */
  actionDims: Map<string, number>;
  /** Names of the masks under `mask/` (e.g. `train`, `valid`). */
  masks: string[];
  /** Returns rows `[begin, end)` of `data/<demo>/<member>` (member `obs/<key>` or an action key), row-major. */
  readRows(demo: string, member: string, begin: number, end: number): Uint8Array | Float32Array | Float64Array;
  close(): void;
}

/** Returns the demo names listed in `mask/<key>`, or throws naming the file and the missing mask. */
function readMask(file: H5File, path: string, key: string): string[] {
  const dataset = requireDataset(file, path, `mask/${key}`);
  const value = dataset.value;
  const names = Array.isArray(value) ? value : [value];
  return names.map((name) => (name instanceof Uint8Array ? new TextDecoder().decode(name) : String(name)).replace(/\0+$/, ''));
}

/** Returns `demos` sorted by their numeric suffix, as robomimic sorts `demo_N` keys. */
function sortDemoNames(path: string, demos: string[]): string[] {
  const index = (name: string) => {
    const n = /^demo_(\d+)$/.exec(name);
    if (!n) throw new InputError('data/bad-demo-name', path, `demo "${name}" is not named demo_<N>, which robomimic requires.`, { member: `data/${name}` });
    return Number(n[1]);
  };
  return [...demos].sort((a, b) => index(a) - index(b));
}

/**
 * Returns `source` opened with every dataset the trainer will read checked: present, decodable,
 * `num_samples` rows long, images uint8 `[T, H, W, C]`, low-dim and actions numeric `[T(, D)]`.
 */
export async function openDemoFile(source: DataSource, spec: DataSpec): Promise<DemoFile> {
  const { path } = source;
  const file = await openH5ReadOnly(path);
  try {
    const data = requireGroup(file, path, 'data');
    const maskGroup = file.get('mask');
    const masks = maskGroup && 'keys' in maskGroup ? (maskGroup as { keys(): string[] }).keys() : [];
    let names = source.filterKey === null ? data.keys().filter((k) => k.startsWith('demo')) : readMask(file, path, source.filterKey);
    names = sortDemoNames(path, names);
    if (source.demoLimit !== null) names = names.slice(0, source.demoLimit);
    if (names.length === 0) {
      throw new InputError('data/no-demos', path, `no demos to train on${source.filterKey ? ` in mask "${source.filterKey}"` : ''}.`);
    }
    const obsShapes = new Map<string, number[]>();
    const actionDims = new Map<string, number>();
    const datasets = new Map<string, Dataset>();
    const demos = names.map((name) => {
      const group = requireGroup(file, path, `data/${name}`);
      const length = demoLength(path, name, readAttr(group, 'num_samples'));
      for (const key of spec.obsKeys) {
        const member = `obs/${key.name}`;
        const dataset = checkedDataset(file, path, name, member, length, key.kind);
        datasets.set(`${name}/${member}`, dataset);
        agreeShape(path, `data/${name}/${member}`, obsShapes, key.name, dataset.shape!.slice(1));
      }
      for (const key of spec.actionKeys) {
        const dataset = checkedDataset(file, path, name, key, length, 'low_dim');
        datasets.set(`${name}/${key}`, dataset);
        const width = dataset.shape!.slice(1).reduce((a, b) => a * b, 1);
        const seen = actionDims.get(key);
        if (seen !== undefined && seen !== width) {
          throw new InputError('data/inconsistent-shape', path, `has ${width} values per step but earlier demos have ${seen} for "${key}".`, { member: `data/${name}/${key}` });
        }
        actionDims.set(key, width);
      }
      return { name, length };
    });
    const envMetadata = parseEnvArgs(path, readAttr(data, 'env_args'));
    return {
      path,
      demos,
      envMetadata,
      obsShapes,
      actionDims,
      masks,
      readRows(demo, member, begin, end) {
        const dataset = datasets.get(`${demo}/${member}`);
        if (!dataset) throw new InputError('data/missing-dataset', path, 'this dataset was not opened for training.', { member: `data/${demo}/${member}` });
        return dataset.slice([[begin, end]]) as Uint8Array | Float32Array | Float64Array;
      },
      close: () => void file.close(),
    };
  } catch (error) {
    file.close();
    throw error;
  }
}

function demoLength(path: string, demo: string, raw: unknown): number {
  const value = typeof raw === 'bigint' ? bigintToNumber(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_DEMO_LENGTH) {
    throw new InputError('data/bad-num-samples', path, `attribute "num_samples" is ${String(raw)}; expected a positive integer (the demo's step count, at most ${MAX_DEMO_LENGTH}).`, { member: `data/${demo}` });
  }
  return value;
}

function checkedDataset(file: H5File, path: string, demo: string, member: string, length: number, kind: ObsKind): Dataset {
  const where = `data/${demo}/${member}`;
  const dataset = requireDataset(file, path, where);
  const shape = dataset.shape ?? [];
  const meta = dataset.metadata;
  if (shape[0] !== length) {
    throw new InputError('data/bad-length', path, `has ${shape[0] ?? 0} rows but the demo's "num_samples" is ${length}.`, { member: where });
  }
  if (kind === 'rgb') {
    if (shape.length !== 4 || meta.type !== 0 || meta.size !== 1 || meta.signed) {
      throw new InputError('data/bad-image', path, `expected uint8 images [T, H, W, C], found dtype ${String(dataset.dtype)} shape [${shape.join(', ')}].`, { member: where });
    }
  } else if (!(meta.type === 1 || meta.type === 0) || shape.length < 1) {
    throw new InputError('data/bad-dtype', path, `expected numeric values [T, D], found dtype ${String(dataset.dtype)}.`, { member: where });
  }
  return dataset;
}

function agreeShape(path: string, member: string, shapes: Map<string, number[]>, key: string, shape: number[]): void {
  const seen = shapes.get(key);
  if (seen && seen.join(',') !== shape.join(',')) {
    throw new InputError('data/inconsistent-shape', path, `has per-step shape [${shape.join(', ')}] but earlier demos have [${seen.join(', ')}] for "${key}".`, { member });
  }
  shapes.set(key, shape);
}

function parseEnvArgs(path: string, raw: unknown): Record<string, unknown> {
  if (raw === undefined) return {};
  try {
    const parsed = JSON.parse(String(raw)) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  throw new InputError('data/bad-env-args', path, 'attribute "env_args" is not a JSON object; robomimic stores the environment metadata there.', { member: 'data' });
}
