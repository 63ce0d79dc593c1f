/**
 * The in-memory model of a checkpoint: a tree of Python values whose tensors point at storages
 * whose bytes stay on disk until somebody asks for them.
 *
 * Readers (torch zip, torch legacy, safetensors) produce it; writers consume it; the planner, the
 * model loader and the trainer only ever see these types.
 */

/** Every element type torch stores in a checkpoint. */
export type DType =
  | 'float64'
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool'
  | 'complex64';

/** Bytes per element. */
export const DTYPE_SIZE: Readonly<Record<DType, number>> = {
  float64: 8,
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
  complex64: 8,
};

/**
 * Where a storage's bytes live: a byte range inside a checkpoint file (read lazily, copied by
 * offset), or bytes already in memory (new tensors made by surgery or by the trainer).
 */
export type StorageSource =
  | {
      kind: 'file';
      /** Absolute path of the checkpoint file. */
      path: string;
      /**
       * Absolute byte offset of the first element. For zip members it is resolved from the local
       * header on first use, so listing a checkpoint reads only the central directory and the pickle.
       */
      offset: () => Promise<number>;
      /** CRC-32 of the bytes as recorded by the container (zip), so untouched storages are copied with it. */
      crc32?: number;
      /**
       * Set when the container holds these bytes DEFLATE-compressed (a re-zipped `.pth`): the
       * compressed length at `offset`. Only `readStorageBytes` may read such a range.
       */
      deflatedSize?: number;
    }
  | { kind: 'memory'; bytes: Uint8Array };

/**
 * One storage: a flat run of elements. Aliasing is identity: two tensors share memory exactly when
 * they hold the same `Storage` object.
 */
export interface Storage {
  dtype: DType;
  /** Number of elements. */
  numel: number;
  source: StorageSource;
  /** The storage's name inside the file it came from (zip `data/<key>`), kept for readable errors. */
  key?: string;
}

/** A tensor view onto a storage, as `torch._utils._rebuild_tensor_v2` describes it. */
export interface Tensor {
  kind: 'tensor';
  storage: Storage;
  /** In elements, not bytes. */
  storageOffset: number;
  shape: number[];
  /** In elements. */
  stride: number[];
  requiresGrad: boolean;
  /** Pickled as `torch._utils._rebuild_parameter` (an `nn.Parameter`). */
  parameter: boolean;
}

/** A Python float whose value is integral (`1.0`), kept apart from ints so a round trip writes it back as float. */
export interface PyFloat {
  kind: 'float';
  value: number;
}

export interface PyTuple {
  kind: 'tuple';
  items: PyValue[];
}

/** Keys of a Python dict as they can occur in checkpoints (optimizer state is keyed by int). */
export type PyKey = string | number | bigint | boolean | null;

/**
 * A dict or OrderedDict. `metadata` is the state-dict `_metadata` attribute that torch sets with
 * BUILD (module prefix → `{version: n}`); it must survive a round trip and follow renamed keys.
 */
export interface PyDict {
  kind: 'dict';
  ordered: boolean;
  entries: Map<PyKey, PyValue>;
  metadata?: PyValue;
}

/**
 * A Python value from an allow-listed global that has no richer model here (e.g. `torch.device`,
 * `torch.Size`); written back exactly as it was read.
 */
export interface PyOpaque {
  kind: 'opaque';
  module: string;
  name: string;
  args: PyValue[];
  state?: PyValue;
}

/**
 * Every value a checkpoint tree can hold. Numbers: ints that fit in 2^53 are `number`, larger ones
 * `bigint`; non-integral floats are `number`, integral floats `PyFloat`. `Uint8Array` is Python `bytes`.
 * Lists are plain arrays; tuples are `PyTuple` (pickle keeps them apart, and so do we).
 */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyFloat
  | PyTuple
  | PyDict
  | Tensor
  | PyOpaque
  | PyValue[];

export type CheckpointFormat = 'torch-zip' | 'torch-legacy' | 'safetensors';

/** A dict in the tree whose values are all tensors: something `load_state_dict` would take. */
export interface StateDictEntry {
  /** Dict keys from the root, e.g. `['model', 'nets']`. */
  path: PyKey[];
  /** `path` joined with '.', e.g. `model.nets`; the root itself is `''` (shown as `<root>`). */
  name: string;
  dict: PyDict;
  /** The same entries, typed: key → tensor, in file order. */
  tensors: Map<string, Tensor>;
}

/** An opened checkpoint: its value tree and where its bytes are. Tensor bytes are not read yet. */
export interface Checkpoint {
  path: string;
  format: CheckpointFormat;
  /** Bytes on disk. */
  fileSize: number;
  root: PyValue;
  /** For zip files: the archive's root folder name (`<stem>` in `<stem>/data.pkl`). */
  archiveName?: string;
  /** safetensors `__metadata__`. */
  metadata?: Record<string, string>;
  stateDicts: StateDictEntry[];
}
