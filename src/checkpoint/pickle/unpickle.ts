/**
 * Unpickles a checkpoint pickle into a `PyValue` tree: `checkPickle` validates and rewrites it,
 * `pickleparser` (in Map mode) executes the rewritten program with our allow-listed globals, and a
 * final walk turns its raw output into the tagged values of `types.ts`.
 */
import { BufferReader, Parser } from 'pickleparser';
import { InputError } from '../../input-error.ts';
import { invariant } from '../../invariant.ts';
import type { PyValue, Storage } from '../types.ts';
import { checkPickle, PRIVATE_MODULE, type PickleLocation } from './check-pickle.ts';
import { allowedTorchGlobal, refusedTorchGlobal, resolveTorchGlobal, type GlobalContext } from './torch-globals.ts';
import { toPyValue, TUPLE_TAG } from './to-py-value.ts';

/** Turns a torch persistent id (`('storage', StorageClass, key, location, numel, ...)`) into its storage. */
export type StorageLoader = (pid: unknown[], fail: (code: string, detail: string) => never) => Storage;

/** What `unpickle` returns: the value, and how many source bytes the pickle spanned (through STOP). */
export interface Unpickled {
  value: PyValue;
  length: number;
}

const TUPLE_MARKER = Object.freeze({ [TUPLE_TAG]: true });

/**
 * Returns the value pickled at the start of `source`. Throws `InputError` (naming the file, member
 * and offset) for anything torch's weights-only loader would refuse, and for damaged input.
 */
export function unpickle(source: Uint8Array, where: PickleLocation, loadStorage: StorageLoader): Unpickled {
  const checked = checkPickle(source, where, { allowed: allowedTorchGlobal, refused: refusedTorchGlobal });
  const reader = new BufferReader(checked.program);
  const fail = (code: string, detail: string): never => {
    throw new InputError(code, where.file, detail, { member: where.member, offset: checked.sourceOffset(Math.max(0, reader.position - 1)) });
  };
  const storages = new WeakSet<object>();
  const context: GlobalContext = { fail, isStorage: (value): value is Storage => typeof value === 'object' && value !== null && storages.has(value), tensors: new WeakSet() };
  const parser = new Parser({
    unpicklingTypeOfDictionary: 'Map',
    unpicklingTypeOfSet: 'Set',
    nameResolver: { resolve: (module: string, name: string) => (module === PRIVATE_MODULE ? privateValue(name) : resolveTorchGlobal(`${module}.${name}`, context)) as never },
    persistentResolver: {
      resolve: (pid: unknown) => {
        if (!Array.isArray(pid)) return fail('format/unsafe-pickle', 'a persistent id is not a tuple.');
        const storage = loadStorage(pid, fail);
        storages.add(storage);
        return storage;
      },
    },
  });
  let raw: unknown;
  try {
    raw = parser.read(reader);
  } catch (error) {
    if (error instanceof InputError) throw error;
    // The checker admits only programs pickleparser can run; anything left is still the input's fault.
    fail('format/bad-pickle', `the pickle cannot be executed (${(error as Error).message}).`);
  }
  return { value: toPyValue(raw, fail, checked.opcodes), length: checked.length };
}

function privateValue(name: string): unknown {
  if (name === 'tuple') return TUPLE_MARKER;
  if (name.startsWith('int:')) {
    const value = BigInt(name.slice(4));
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }
  if (name.startsWith('float:')) return { kind: 'float', value: Number(name.slice(6)) };
  return invariant(false, `unknown private pickle name ${name}`);
}
