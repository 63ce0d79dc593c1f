/**
 * A protocol-2 pickler for `PyValue` trees that writes what `torch.save` writes: tensors through
 * `torch._utils._rebuild_tensor_v2` (parameters wrapped in `_rebuild_parameter`), storages as
 * persistent ids `('storage', torch.<T>Storage, key, 'cpu', numel)`, OrderedDicts through REDUCE
 * with `_metadata` applied by BUILD. Tensor-only trees use only opcodes that
 * `torch.load(weights_only=True)` accepts.
 */
import type { DType, PyDict, PyKey, PyValue, Storage, Tensor } from '../types.ts';
import { STORAGE_CLASS_DTYPE } from './torch-globals.ts';

/** The pickle bytes, and every storage it refers to in key order (`'0'`, `'1'`, …). */
export interface Pickled {
  bytes: Uint8Array;
  storages: Array<{ key: string; storage: Storage }>;
}

const BATCH = 1000;
const encoder = new TextEncoder();
const STORAGE_CLASS_OF = Object.fromEntries(Object.entries(STORAGE_CLASS_DTYPE).map(([name, dtype]) => [dtype, name])) as Record<DType, string>;

/** Returns the protocol-2 pickle of `root`, assigning storage keys in order of first use. */
export function pickleValue(root: PyValue): Pickled {
  const pickler = new Pickler();
  pickler.byte(0x80, 2);
  pickler.value(root);
  pickler.byte(0x2e);
  return { bytes: pickler.finish(), storages: pickler.storageList };
}

class Pickler {
  private buffer = new Uint8Array(1 << 16);
  private length = 0;
  private readonly memo = new Map<unknown, number>();
  private readonly storageKeys = new Map<Storage, string>();
  readonly storageList: Array<{ key: string; storage: Storage }> = [];

  value(value: PyValue): void {
    if (value === null) return this.byte(0x4e);
    if (value === true) return this.byte(0x88);
    if (value === false) return this.byte(0x89);
    if (typeof value === 'number') return Number.isInteger(value) ? this.int(BigInt(value)) : this.float(value);
    if (typeof value === 'bigint') return this.int(value);
    if (typeof value === 'string') return this.memoized(`s:${value}`, () => this.string(value));
    if (value instanceof Uint8Array) return this.bytesValue(value);
    if (Array.isArray(value)) return this.list(value);
    switch (value.kind) {
      case 'float':
        return this.float(value.value);
      case 'tuple':
        return this.tuple(value.items);
      case 'dict':
        return this.dict(value);
      case 'tensor':
        return this.memoized(value, () => this.tensor(value));
      case 'opaque':
        this.global(value.module, value.name);
        this.tuple(value.args);
        this.byte(0x52);
        if (value.state !== undefined) {
          this.value(value.state);
          this.byte(0x62);
        }
        return;
    }
  }

  private int(value: bigint): void {
    if (value >= 0n && value < 256n) return this.byte(0x4b, Number(value));
    if (value >= 0n && value < 65536n) return this.byte(0x4d, Number(value & 0xffn), Number(value >> 8n));
    if (value >= -(2n ** 31n) && value < 2n ** 31n) {
      this.byte(0x4a);
      return this.uint32(Number(BigInt.asUintN(32, value)));
    }
    const bytes = encodeSignedLE(value);
    this.byte(0x8a, bytes.length, ...bytes);
  }

  private float(value: number): void {
    this.byte(0x47);
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, false);
    this.raw(bytes);
  }

  private string(value: string): void {
    const bytes = encoder.encode(value);
    this.byte(0x58);
    this.uint32(bytes.byteLength);
    this.raw(bytes);
  }

  // Protocol 2 has no bytes opcode; Python writes _codecs.encode(latin1 text, 'latin1').
  private bytesValue(value: Uint8Array): void {
    this.global('_codecs', 'encode');
    this.string(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1'));
    this.string('latin1');
    this.byte(0x86, 0x52);
  }

  private list(items: PyValue[]): void {
    this.memoized(items, () => {
      this.byte(0x5d);
      this.put(items);
      this.batched(items.length, 0x61, 0x65, (index) => this.value(items[index]!));
    }, false);
  }

  private tuple(items: PyValue[]): void {
    if (items.length === 0) return this.byte(0x29);
    if (items.length <= 3) {
      items.forEach((item) => this.value(item));
      return this.byte(0x84 + items.length);
    }
    this.byte(0x28);
    items.forEach((item) => this.value(item));
    this.byte(0x74);
  }

  private dict(dict: PyDict): void {
    this.memoized(dict, () => {
      // Only an OrderedDict can carry attributes such as _metadata.
      if (dict.ordered || dict.metadata !== undefined) {
        this.global('collections', 'OrderedDict');
        this.byte(0x29, 0x52);
      } else {
        this.byte(0x7d);
      }
      this.put(dict);
      const entries = [...dict.entries];
      this.batched(entries.length, 0x73, 0x75, (index) => {
        const [key, item] = entries[index]!;
        this.value(key as PyKey);
        this.value(item);
      });
      if (dict.metadata !== undefined) {
        this.byte(0x7d);
        this.string('_metadata');
        this.value(dict.metadata);
        this.byte(0x73, 0x62);
      }
    }, false);
  }

  private tensor(tensor: Tensor): void {
    if (tensor.parameter) this.global('torch._utils', '_rebuild_parameter');
    this.global('torch._utils', '_rebuild_tensor_v2');
    this.byte(0x28);
    this.storage(tensor.storage);
    this.int(BigInt(tensor.storageOffset));
    this.tuple(tensor.shape);
    this.tuple(tensor.stride);
    this.value(tensor.parameter ? false : tensor.requiresGrad);
    this.emptyOrderedDict();
    this.byte(0x74, 0x52);
    if (!tensor.parameter) return;
    this.value(tensor.requiresGrad);
    this.emptyOrderedDict();
    this.byte(0x87, 0x52);
  }

  private emptyOrderedDict(): void {
    this.global('collections', 'OrderedDict');
    this.byte(0x29, 0x52);
  }

  private storage(storage: Storage): void {
    let key = this.storageKeys.get(storage);
    if (key === undefined) {
      key = String(this.storageKeys.size);
      this.storageKeys.set(storage, key);
      this.storageList.push({ key, storage });
    }
    this.byte(0x28);
    this.value('storage');
    this.global('torch', STORAGE_CLASS_OF[storage.dtype]);
    this.value(key);
    this.value('cpu');
    this.int(BigInt(storage.numel));
    this.byte(0x74, 0x51);
  }

  private global(module: string, name: string): void {
    this.memoized(`g:${module}.${name}`, () => {
      this.byte(0x63);
      this.raw(encoder.encode(`${module}\n${name}\n`));
    });
  }

  /** Writes APPEND/SETITEM for one item and MARK…APPENDS/SETITEMS batches of 1000 otherwise, as Python does. */
  private batched(count: number, single: number, many: number, item: (index: number) => void): void {
    for (let start = 0; start < count; start += BATCH) {
      const end = Math.min(count, start + BATCH);
      if (end - start === 1) {
        item(start);
        this.byte(single);
        continue;
      }
      this.byte(0x28);
      for (let index = start; index < end; index++) item(index);
      this.byte(many);
    }
  }

  /** Writes `write()` once and a memo GET for every later occurrence of `key`. */
  private memoized(key: unknown, write: () => void, putAfter = true): void {
    const index = this.memo.get(key);
    if (index !== undefined) {
      if (index < 256) return this.byte(0x68, index);
      this.byte(0x6a);
      return this.uint32(index);
    }
    write();
    if (putAfter) this.put(key);
  }

  private put(key: unknown): void {
    const index = this.memo.size;
    this.memo.set(key, index);
    if (index < 256) return this.byte(0x71, index);
    this.byte(0x72);
    this.uint32(index);
  }

  byte(...values: number[]): void {
    this.reserve(values.length);
    for (const value of values) this.buffer[this.length++] = value;
  }

  private uint32(value: number): void {
    this.reserve(4);
    new DataView(this.buffer.buffer).setUint32(this.length, value, true);
    this.length += 4;
  }

  private raw(bytes: Uint8Array): void {
    this.reserve(bytes.byteLength);
    this.buffer.set(bytes, this.length);
    this.length += bytes.byteLength;
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.byteLength) return;
    const grown = new Uint8Array(Math.max(this.buffer.byteLength * 2, this.length + extra));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

/** Returns the shortest two's-complement little-endian bytes of `value` (pickle's LONG1 payload). */
function encodeSignedLE(value: bigint): number[] {
  const bytes: number[] = [];
  let rest = value;
  for (;;) {
    const byte = Number(rest & 0xffn);
    bytes.push(byte);
    rest >>= 8n;
    if ((rest === 0n && !(byte & 0x80)) || (rest === -1n && byte & 0x80)) return bytes;
  }
}
