/**
 * The unpickler against pickles made by CPython itself (protocols 0–5), and pickleparser's
 * known faults: negative and over-8-byte LONG1, tuples vs lists, int keys, `__proto__` keys,
 * integral floats, shared references.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../src/input-error.ts';
import { unpickle } from '../../src/checkpoint/pickle/unpickle.ts';
import { pickleValue } from '../../src/checkpoint/pickle/pickle-value.ts';
import type { PyValue } from '../../src/checkpoint/types.ts';
import { pyDict, pyFloat, pyTuple } from '../../src/checkpoint/py-value.ts';
import { runPython } from '../support/torch.ts';

const noStorage = (_pid: unknown[], fail: (code: string, detail: string) => never): never => fail('test/storage', 'no storages here');
const load = (bytes: Uint8Array): PyValue => unpickle(bytes, { file: 'test.pkl', baseOffset: 0 }, noStorage).value;

/** Pickles the Python expression with every protocol; returns the pickles. */
function cpython(expression: string): Uint8Array[] {
  const hex = runPython(`import pickle, collections\nv = ${expression}\nprint(' '.join(pickle.dumps(v, protocol=p).hex() for p in range(6)))`);
  return hex.trim().split(' ').map((text) => Uint8Array.from(Buffer.from(text, 'hex')));
}

const EXPECTED: PyValue = pyDict(
  [
    ['neg', -1],
    ['neg128', -128],
    ['neg129', -129],
    ['two63', 2n ** 63n],
    ['below', -(2n ** 63n) - 1n],
    ['huge', 2n ** 100n],
    ['minus_huge', -(2n ** 100n)],
    ['safe', 2 ** 40],
    ['tuple', pyTuple([1, pyTuple([2, 3]), pyTuple([])])],
    ['list', [1, [2], []]],
    ['one', pyFloat(1)],
    ['half', 0.5],
    ['text', 'café \u2603'],
    ['none', null],
    ['flags', [true, false]],
    [0, 'int key'],
    [-7, 'negative int key'],
    ['__proto__', pyDict([['polluted', true]], { ordered: false })],
    ['constructor', 'x'],
  ],
  { ordered: false },
);
const PYTHON_VALUE = `{'neg': -1, 'neg128': -128, 'neg129': -129, 'two63': 2**63, 'below': -2**63 - 1, 'huge': 2**100, 'minus_huge': -2**100,
  'safe': 2**40, 'tuple': (1, (2, 3), ()), 'list': [1, [2], []], 'one': 1.0, 'half': 0.5, 'text': 'caf\\u00e9 \\u2603', 'none': None,
  'flags': [True, False], 0: 'int key', -7: 'negative int key', '__proto__': {'polluted': True}, 'constructor': 'x'}`;

test('CPython pickles of every protocol decode exactly (signed and wide ints, tuples vs lists, int and __proto__ keys)', () => {
  const pickles = cpython(PYTHON_VALUE);
  assert.is(pickles.length, 6);
  for (const [protocol, bytes] of pickles.entries()) assert.equal(load(bytes), EXPECTED, `protocol ${protocol}`);
  assert.is(({} as Record<string, unknown>).polluted, undefined, 'no prototype was touched');
});

test('torch\'s legacy magic number (a 10-byte LONG1) decodes as a bigint', () => {
  const [, , protocol2] = cpython('0x1950a86a20f9469cfc6c');
  assert.is(load(protocol2!), 0x1950a86a20f9469cfc6cn);
});

test('shared references stay shared', () => {
  const [, , bytes] = cpython('(lambda x: [x, x, {"k": x}])([1, 2])');
  const value = load(bytes!) as PyValue[];
  assert.ok(value[0] === value[1]);
});

test('our pickler round-trips the same values, and CPython reads back what we write', () => {
  const pickled = pickleValue(EXPECTED);
  assert.equal(load(pickled.bytes), EXPECTED);
  const echoed = runPython(`import pickle, sys\nv = pickle.loads(bytes.fromhex(sys.argv[1]))\nprint(v == (${PYTHON_VALUE}), type(v['tuple']).__name__, type(v['one']).__name__)`, [Buffer.from(pickled.bytes).toString('hex')]);
  assert.is(echoed.trim(), 'True tuple float');
});

test('errors carry the file and the offset of the offending opcode', () => {
  const bytes = Uint8Array.from([0x80, 0x02, 0x5d, 0x4b, 0x01, 0x4e, 0x73, 0x2e]); // PROTO 2, EMPTY_LIST, BININT1 1, NONE, SETITEM, STOP
  try {
    load(bytes);
    assert.unreachable('SETITEM on a list must fail');
  } catch (error) {
    assert.instance(error, InputError);
    assert.is((error as InputError).code, 'format/unsafe-pickle');
    assert.is((error as InputError).where.offset, 6);
    assert.is((error as InputError).message, 'test.pkl (offset 6): SETITEM on a list; it only applies to a dict or odict.');
  }
});

test('a refused global is reported with the keys and indices that lead to it, in every protocol', () => {
  // An empty dict and a single-item dict look alike on the stack; the key is read off the SETITEMS that store the value.
  const pickles = cpython(`{'env': {}, 'model': {'nets': collections.OrderedDict([('a', 1), ('b', [0, (1, collections.Counter())])])}, 'after': 2}`);
  for (const [protocol, bytes] of pickles.entries()) {
    try {
      load(bytes);
      assert.unreachable('collections.Counter must be refused');
    } catch (error) {
      assert.instance(error, InputError);
      assert.is((error as InputError).code, 'format/unsafe-global', `protocol ${protocol}`);
      assert.is((error as InputError).where.key, 'model.nets.b.1.1', `protocol ${protocol}`);
      assert.match((error as InputError).message, /^test\.pkl \(key "model\.nets\.b\.1\.1", offset \d+\): the pickle references the global "(collections\.Counter|copy_reg\._reconstructor)"/);
    }
  }
});

test.run();
