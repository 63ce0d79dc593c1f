/**
 * The static half of unpickling: walks a pickle's opcodes once, without building any value, and
 *
 * - checks it against torch's `weights_only` rules: only allow-listed globals, REDUCE only on
 *   allow-listed callables with a tuple, BUILD only on an OrderedDict, persistent ids only as tuples,
 *   no class instantiation, no extensions, no out-of-band buffers; every length within the input
 *   (a global off the list is reported with the dict keys that lead to it, found by walking on);
 * - rewrites the few opcodes `pickleparser` gets wrong into ones it gets right: LONG/LONG1/LONG4
 *   and text INT (negative and over-8-byte ints), integral floats (kept apart from ints), tuples
 *   (tagged so they stay apart from lists), and the MARK-based DICT and LIST forms.
 *
 * Rewrites use GLOBALs in a private module that no input can name (the checker rejects it like any
 * other unknown module), so the runtime resolver can tell them from the file's own globals.
 */
import { isUtf8 } from 'node:buffer';
import { InputError } from '../../input-error.ts';
import { KEY_KINDS, type AllowedGlobal, type Kind } from './pickle-kinds.ts';
import type { RefusedGlobal } from './torch-globals.ts';

/** The module name of rewrite GLOBALs; `unpickle` resolves only these names in it. */
export const PRIVATE_MODULE = '\u0000surgery';
/** Python's pickler batches APPENDS by 1000; pickleparser spreads a batch into call arguments. */
export const MAX_APPENDS_BATCH = 65_536;
/** A refused value's key path is cut at this many keys; checkpoints nest a few levels. */
const MAX_KEY_PATH = 64;
/**
 * torch memoizes about ten objects per tensor (8,205 for the 800 tensors of a robomimic checkpoint), so a
 * million entries is a checkpoint of 100,000 tensors; a flood of MEMOIZE opcodes past it only costs memory.
 */
export const MAX_MEMO_ENTRIES = 1_000_000;
/** Ints wider than this many bytes are not checkpoint values; bounds the BigInt built from them. */
export const MAX_LONG_BYTES = 1024;

/** Where a pickle sits, for error messages: the file, the zip member, the absolute offset of byte 0. */
export interface PickleLocation {
  file: string;
  member?: string;
  baseOffset: number;
}

/** A checked, rewritten pickle ready for pickleparser. */
export interface CheckedPickle {
  program: Uint8Array;
  /** Bytes of the source consumed, through STOP. */
  length: number;
  /** Number of opcodes; no honest list or tuple can be longer. */
  opcodes: number;
  /** Maps an offset in `program` back to the source offset of the opcode it came from. */
  sourceOffset(programOffset: number): number;
}

interface StackValue {
  kind: Kind;
  /** Short strings' text (STACK_GLOBAL names, dict keys) and scalars' Python spelling. */
  text?: string;
  /** Built from a refused global: the checker walks on after a refusal only to find its dict key. */
  holdsRefused?: boolean;
  /** For a container that holds the refused global: the key (or index) and value through which it does. */
  refusedUnder?: { key: StackValue; value: StackValue };
  /** A list's items so far, to name the index of a refused one. */
  length?: number;
}
type Slot = StackValue | typeof MARK;
const MARK = Symbol('mark');
const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder();
const encoder = new TextEncoder();

/** Which globals a pickle may name, and why any other is refused. */
export interface GlobalPolicy {
  allowed(qualifiedName: string): AllowedGlobal | undefined;
  refused(qualifiedName: string): RefusedGlobal;
}

/** Returns the checked, rewritten form of the pickle starting at `source[0]`; throws InputError on anything else. */
export function checkPickle(source: Uint8Array, where: PickleLocation, globals: GlobalPolicy): CheckedPickle {
  return new PickleChecker(source, where, globals).run();
}

class PickleChecker {
  private pos = 0;
  private opStart = 0;
  private stack: Slot[] = [];
  // An array, not a Map: a Map of a million entries costs microseconds per insert.
  private memo: Array<StackValue | undefined> = [];
  private memoSize = 0;
  /** The rewritten program in pieces: runs of opcodes copied verbatim, and rewritten opcodes. */
  private chunks: Uint8Array[] = [];
  /** Per chunk: the source offset of its first byte (verbatim) or of the opcode it replaces. */
  private chunkSource: number[] = [];
  private chunkVerbatim: boolean[] = [];
  /**
   * The verbatim run being extended, `[runStart, runEnd)` in the source (-1: none). Consecutive copied
   * opcodes become one chunk: a checkpoint pickle has ~10^5 opcodes, and a chunk per opcode cost
   * more in allocation and collection than the checking itself.
   */
  private runStart = -1;
  private runEnd = 0;
  /** The source offset of every opcode, in order: maps a byte inside a verbatim run to its opcode. */
  private opStarts: number[] = [];
  /** Chunk index of each open MARK, so DICT and LIST can insert their empty container before it. */
  private marks: number[] = [];
  private lastPoppedMark = 0;
  /** The first global off the allow-list, reported when the walk ends. */
  private refusal?: RefusedGlobal & { offset: number };
  private readonly view: DataView;

  constructor(
    private readonly source: Uint8Array,
    private readonly where: PickleLocation,
    private readonly globals: GlobalPolicy,
  ) {
    this.view = new DataView(source.buffer, source.byteOffset, source.byteLength);
  }

  run(): CheckedPickle {
    let opcodes = 0;
    for (;;) {
      this.opStart = this.pos;
      this.opStarts.push(this.pos);
      const op = this.bytes(1)[0]!;
      opcodes += 1;
      if (op === 0x2e) {
        if (this.stack.length !== 1 || this.marks.length !== 0 || this.stack[0] === MARK) this.fail('format/bad-pickle', 'STOP leaves the stack unbalanced.');
        if (this.refusal) this.throwRefusal(this.refusal, this.refusedKeyPath());
        this.copy();
        return this.finish(opcodes);
      }
      this.step(op);
    }
  }

  private step(op: number): void {
    switch (op) {
      case 0x80: { // PROTO
        const version = this.bytes(1)[0]!;
        if (version > 5) this.fail('format/bad-pickle', `pickle protocol ${version} is newer than any Python writes.`);
        return this.copy();
      }
      case 0x95: { // FRAME: a framing hint only; dropped, but a frame longer than the pickle is a lie.
        const length = this.uint64();
        if (this.pos + length > this.source.byteLength) this.fail('format/truncated', `a ${length}-byte frame runs past the end of the pickle; it is truncated.`);
        return;
      }
      case 0x28: // MARK
        this.stack.push(MARK);
        // The MARK starts a chunk, so DICT and LIST can insert before it.
        this.flushRun();
        this.marks.push(this.chunks.length);
        return this.copy();
      case 0x30: // POP
        this.pop();
        return this.copy();
      case 0x31: // POP_MARK
        this.popMark();
        return this.copy();
      case 0x32: // DUP
        this.stack.push(this.peek());
        return this.copy();
      case 0x70: // PUT
        return this.put(this.decimal(this.line()));
      case 0x71: // BINPUT
        return this.put(this.bytes(1)[0]!, true);
      case 0x72: // LONG_BINPUT
        return this.put(this.uint32(), true);
      case 0x94: // MEMOIZE
        this.remember(this.memoSize);
        return this.copy();
      case 0x67: // GET
        return this.get(this.decimal(this.line()));
      case 0x68: // BINGET
        return this.get(this.bytes(1)[0]!, true);
      case 0x6a: // LONG_BINGET
        return this.get(this.uint32(), true);
      case 0x4e: // NONE
        return this.pushCopy('none', 'None');
      case 0x88: // NEWTRUE
      case 0x89: // NEWFALSE
        return this.pushCopy('bool', op === 0x88 ? 'True' : 'False');
      case 0x49: // INT
        return this.textInt(this.line());
      case 0x4c: // LONG
        return this.emitInt(this.parseDecimal(this.line().replace(/L$/, '')));
      case 0x4a: // BININT
        return this.pushCopy('int', String(this.view.getInt32(this.take(4), true)));
      case 0x4b: // BININT1
        return this.pushCopy('int', String(this.bytes(1)[0]));
      case 0x4d: // BININT2
        return this.pushCopy('int', String(this.view.getUint16(this.take(2), true)));
      case 0x8a: // LONG1
        return this.emitInt(decodeSignedLE(this.bytes(this.bytes(1)[0]!)));
      case 0x8b: { // LONG4
        const length = this.uint32();
        if (length > MAX_LONG_BYTES) this.fail('format/pickle-limit', `a ${length}-byte integer is wider than the ${MAX_LONG_BYTES} bytes allowed.`);
        return this.emitInt(decodeSignedLE(this.bytes(length)));
      }
      case 0x47: // BINFLOAT
        return this.emitFloat(this.view.getFloat64(this.take(8), false));
      case 0x46: // FLOAT
        return this.emitFloat(this.parseFloatText(this.line()));
      case 0x53: // STRING
        this.line();
        return this.pushCopy('str');
      case 0x56: // UNICODE: raw-unicode-escape text, which pickleparser would not unescape.
        return this.emitString(this.rawUnicodeEscape(this.line()));
      case 0x54: // BINSTRING
        return this.string(this.uint32(), latin1);
      case 0x55: // SHORT_BINSTRING
        return this.string(this.bytes(1)[0]!, latin1);
      case 0x58: // BINUNICODE
        return this.string(this.uint32(), utf8);
      case 0x8c: // SHORT_BINUNICODE
        return this.string(this.bytes(1)[0]!, utf8);
      case 0x8d: // BINUNICODE8
        return this.string(this.uint64(), utf8);
      case 0x42: // BINBYTES
        this.bytes(this.uint32());
        return this.pushCopy('bytes');
      case 0x43: // SHORT_BINBYTES
        this.bytes(this.bytes(1)[0]!);
        return this.pushCopy('bytes');
      case 0x8e: // BINBYTES8
        this.bytes(this.uint64());
        return this.pushCopy('bytes');
      case 0x29: // EMPTY_TUPLE
        this.push('tuple');
        return this.copyTuple();
      case 0x74: { // TUPLE
        const items = this.popMark();
        this.push('tuple');
        this.holdInSequence(this.peek(), items);
        return this.copyTuple();
      }
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: { // TUPLE3
        const items = Array.from({ length: op - 0x84 }, () => this.pop()).reverse();
        this.push('tuple');
        this.holdInSequence(this.peek(), items);
        return this.copyTuple();
      }
      case 0x5d: // EMPTY_LIST
        return this.pushCopy('list');
      case 0x6c: // LIST: rewritten as EMPTY_LIST before the MARK, then APPENDS.
        return this.fromMark('list', 0x5d, 0x65);
      case 0x61: { // APPEND
        const item = this.pop();
        this.expectTop(['list'], 'APPEND');
        this.holdInSequence(this.peek(), [item]);
        return this.copy();
      }
      case 0x65: { // APPENDS
        const items = this.popMark();
        if (items.length > MAX_APPENDS_BATCH) this.fail('format/pickle-limit', `an APPENDS batch of ${items.length} items exceeds the ${MAX_APPENDS_BATCH} allowed.`);
        this.expectTop(['list'], 'APPENDS');
        this.holdInSequence(this.peek(), items);
        return this.copy();
      }
      case 0x7d: // EMPTY_DICT
        return this.pushCopy('dict');
      case 0x64: // DICT: rewritten as EMPTY_DICT before the MARK, then SETITEMS.
        this.checkKeys(this.stackAfterMark());
        return this.fromMark('dict', 0x7d, 0x75);
      case 0x73: { // SETITEM
        const value = this.pop();
        const key = this.pop();
        this.checkKeys([key]);
        this.expectTop(['dict', 'odict'], 'SETITEM');
        this.holdInDict(this.peek(), [key, value]);
        return this.copy();
      }
      case 0x75: { // SETITEMS
        const items = this.popMark();
        if (items.length % 2) this.fail('format/bad-pickle', 'SETITEMS has a key without a value.');
        this.checkKeys(items.filter((_, index) => index % 2 === 0));
        this.expectTop(['dict', 'odict'], 'SETITEMS');
        this.holdInDict(this.peek(), items);
        return this.copy();
      }
      case 0x63: // GLOBAL
        return this.global(this.line(), this.line());
      case 0x93: { // STACK_GLOBAL
        const name = this.pop();
        const module = this.pop();
        if (module.kind !== 'str' || name.kind !== 'str' || module.text === undefined || name.text === undefined) this.fail('format/bad-pickle', 'STACK_GLOBAL needs a module and a name string.');
        return this.global(module.text, name.text);
      }
      case 0x52: { // REDUCE
        const args = this.pop();
        const callable = this.pop();
        if (callable.kind !== 'callable') this.fail('format/unsafe-pickle', `REDUCE calls a ${callable.kind}, not an allow-listed function.`);
        if (args.kind !== 'tuple') this.fail('format/bad-pickle', `REDUCE needs an argument tuple, got a ${args.kind}.`);
        this.push(callable.text !== undefined ? (this.globals.allowed(callable.text)?.result ?? 'object') : 'object');
        this.holdIn(this.peek(), [callable, args]);
        return this.copy();
      }
      case 0x62: { // BUILD
        const state = this.pop();
        if (state.kind !== 'dict' && state.kind !== 'odict') this.fail('format/unsafe-pickle', `BUILD with a ${state.kind} state; only a dict of attributes is allowed.`);
        this.expectTop(['odict'], 'BUILD');
        this.holdIn(this.peek(), [state]);
        return this.copy();
      }
      case 0x51: { // BINPERSID
        const pid = this.pop();
        if (pid.kind !== 'tuple') this.fail('format/unsafe-pickle', `a persistent id must be a tuple, got a ${pid.kind}.`);
        this.pushCopy('storage');
        return this.holdIn(this.peek(), [pid]);
      }
      case 0x50: // PERSID
        return this.fail('format/unsafe-pickle', 'text persistent ids (PERSID) are not used by torch and are refused.');
      case 0x81: case 0x92: case 0x6f: case 0x69: // NEWOBJ, NEWOBJ_EX, OBJ, INST
        return this.fail('format/unsafe-pickle', 'the pickle instantiates a class; checkpoints are read like torch.load(weights_only=True), which refuses that.');
      case 0x82: case 0x83: case 0x84: // EXT1, EXT2, EXT4
        return this.fail('format/unsafe-pickle', 'the pickle uses the extension registry, which is refused.');
      case 0x8f: case 0x90: case 0x91: // EMPTY_SET, ADDITEMS, FROZENSET
        return this.fail('format/unsupported-value', 'the pickle holds a set, which checkpoints do not use.');
      case 0x96: case 0x97: case 0x98: // BYTEARRAY8, NEXT_BUFFER, READONLY_BUFFER
        return this.fail('format/unsupported-value', 'the pickle uses protocol-5 buffers, which checkpoints do not use.');
      default:
        return this.fail('format/bad-pickle', `unknown pickle opcode 0x${op.toString(16).padStart(2, '0')}.`);
    }
  }

  // --- reading the source ---------------------------------------------------------------

  private take(length: number): number {
    if (this.pos + length > this.source.byteLength) {
      this.fail('format/truncated', `the pickle needs ${length} more bytes at offset ${this.where.baseOffset + this.pos} but ends; it is truncated.`);
    }
    const at = this.pos;
    this.pos += length;
    return at;
  }

  private bytes(length: number): Uint8Array {
    const at = this.take(length);
    return this.source.subarray(at, at + length);
  }

  private uint32(): number {
    return this.view.getUint32(this.take(4), true);
  }

  private uint64(): number {
    const value = this.view.getBigUint64(this.take(8), true);
    if (value > BigInt(this.source.byteLength)) this.fail('format/truncated', `a length of ${value} bytes runs past the end of the pickle.`);
    return Number(value);
  }

  private line(): string {
    const end = this.source.indexOf(0x0a, this.pos);
    if (end < 0) this.fail('format/truncated', 'a text argument has no terminating newline; the pickle is truncated.');
    const text = latin1.decode(this.source.subarray(this.pos, end));
    this.pos = end + 1;
    return text;
  }

  private decimal(text: string): number {
    if (!/^\d{1,10}$/.test(text)) this.fail('format/bad-pickle', `"${text.slice(0, 40)}" is not a memo index.`);
    return Number(text);
  }

  private parseDecimal(text: string): bigint {
    if (!/^[+-]?\d{1,2500}$/.test(text.trim())) this.fail('format/bad-pickle', `"${text.slice(0, 40)}" is not an integer.`);
    return BigInt(text.trim());
  }

  private parseFloatText(text: string): number {
    const value = Number(text.trim());
    if (Number.isNaN(value) && !/^[+-]?nan$/i.test(text.trim())) this.fail('format/bad-pickle', `"${text.slice(0, 40)}" is not a float.`);
    return value;
  }

  // --- the abstract stack ---------------------------------------------------------------

  private push(kind: Kind, text?: string): void {
    this.stack.push(text === undefined ? { kind } : { kind, text });
  }

  private pop(): StackValue {
    const slot = this.stack.pop();
    if (slot === undefined || slot === MARK) this.fail('format/bad-pickle', 'an opcode pops more values than the stack holds.');
    return slot;
  }

  private peek(): StackValue {
    const slot = this.stack[this.stack.length - 1];
    if (slot === undefined || slot === MARK) this.fail('format/bad-pickle', 'an opcode needs a value but the stack is empty.');
    return slot;
  }

  private stackAfterMark(): StackValue[] {
    const at = this.stack.lastIndexOf(MARK);
    if (at < 0) this.fail('format/bad-pickle', 'an opcode needs a MARK but none is open.');
    return this.stack.slice(at + 1) as StackValue[];
  }

  private popMark(): StackValue[] {
    const items = this.stackAfterMark();
    this.stack.length -= items.length + 1;
    this.lastPoppedMark = this.marks.pop() ?? 0;
    return items;
  }

  private expectTop(kinds: Kind[], opcode: string): void {
    const top = this.peek().kind;
    if (!kinds.includes(top)) this.fail('format/unsafe-pickle', `${opcode} on a ${top}; it only applies to a ${kinds.join(' or ')}.`);
  }

  private checkKeys(keys: StackValue[]): void {
    const bad = keys.find((key) => !KEY_KINDS.has(key.kind));
    if (bad) this.fail('format/unsupported-value', `a dict key is a ${bad.kind}; checkpoints use str, int, bool or None keys.`);
  }

  private put(index: number, binary = false): void {
    this.remember(index);
    if (binary) return this.copy();
    this.emit(0x72, ...uint32LE(index));
  }

  private remember(index: number): void {
    if (this.memo[index] === undefined) {
      if (this.memoSize >= MAX_MEMO_ENTRIES) this.fail('format/pickle-limit', `the pickle memoizes more than the ${MAX_MEMO_ENTRIES} objects allowed.`);
      this.memoSize += 1;
    }
    this.memo[index] = this.peek();
  }

  private get(index: number, binary = false): void {
    const slot = this.memo[index];
    if (slot === undefined) this.fail('format/bad-pickle', `memo entry ${index} is read before it is written.`);
    this.stack.push(slot);
    if (binary) return this.copy();
    this.emit(0x6a, ...uint32LE(index));
  }

  private string(length: number, decoder: { decode(bytes: Uint8Array): string }): void {
    const bytes = this.bytes(length);
    // Python refuses such a string (UnicodeDecodeError); a lenient decode would turn it into a different key.
    if (decoder === utf8 && !isUtf8(bytes)) this.fail('format/bad-pickle', 'a string is not valid UTF-8.');
    // Only short strings can be STACK_GLOBAL names; longer ones are never decoded here.
    this.push('str', length <= 256 ? decoder.decode(bytes) : undefined);
    this.copy();
  }

  private global(module: string, name: string): void {
    const qualified = `${module}.${name}`;
    const entry = module === PRIVATE_MODULE ? undefined : this.globals.allowed(qualified);
    if (!entry) return this.refuse(qualified);
    this.push(entry.role, qualified);
    this.copy();
  }

  private textInt(text: string): void {
    if (text === '01' || text === '00') return this.pushCopy('bool', text === '01' ? 'True' : 'False');
    this.emitInt(this.parseDecimal(text));
  }

  private fromMark(kind: Kind, emptyOpcode: number, fillOpcode: number): void {
    const items = this.popMark();
    this.push(kind);
    if (kind === 'dict') this.holdInDict(this.peek(), items);
    else this.holdInSequence(this.peek(), items);
    const markChunk = this.lastPoppedMark;
    this.flushRun();
    this.chunks.splice(markChunk, 0, Uint8Array.of(emptyOpcode));
    this.chunkSource.splice(markChunk, 0, this.opStart);
    this.chunkVerbatim.splice(markChunk, 0, false);
    this.emit(fillOpcode);
  }

  // --- emitting the rewritten program ----------------------------------------------------

  /** Copies the current opcode as it is, extending the verbatim run it follows (see `runStart`). */
  private copy(): void {
    if (this.runStart >= 0 && this.runEnd === this.opStart) {
      this.runEnd = this.pos;
      return;
    }
    this.flushRun();
    this.runStart = this.opStart;
    this.runEnd = this.pos;
  }

  private flushRun(): void {
    if (this.runStart < 0) return;
    this.chunks.push(this.source.subarray(this.runStart, this.runEnd));
    this.chunkSource.push(this.runStart);
    this.chunkVerbatim.push(true);
    this.runStart = -1;
  }

  /** Appends a rewritten opcode (or opcodes) standing for the current source opcode. */
  private pushRewritten(bytes: Uint8Array): void {
    this.flushRun();
    this.chunks.push(bytes);
    this.chunkSource.push(this.opStart);
    this.chunkVerbatim.push(false);
  }

  private pushCopy(kind: Kind, text?: string): void {
    this.push(kind, text);
    this.copy();
  }

  private copyTuple(): void {
    this.copy();
    this.pushRewritten(TAG_AS_TUPLE);
  }

  private rawUnicodeEscape(text: string): string {
    return text.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, short: string | undefined, long: string | undefined) => {
      const code = parseInt(short ?? long!, 16);
      if (code > 0x10ffff) this.fail('format/bad-pickle', `\\U${long} is not a Unicode code point.`);
      return String.fromCodePoint(code);
    });
  }

  private emitString(text: string): void {
    const bytes = encoder.encode(text);
    this.push('str', bytes.byteLength <= 256 ? text : undefined);
    const op = new Uint8Array(5 + bytes.byteLength);
    op.set([0x58, ...uint32LE(bytes.byteLength)]);
    op.set(bytes, 5);
    this.pushRewritten(op);
  }

  private emitInt(value: bigint): void {
    this.push('int', String(value));
    this.emit(...privateGlobal(`int:${value}`));
  }

  private emitFloat(value: number): void {
    this.push('float');
    if (Number.isInteger(value)) return this.emit(...privateGlobal(`float:${Object.is(value, -0) ? '-0' : value.toString()}`));
    const bytes = new Uint8Array(9);
    bytes[0] = 0x47;
    new DataView(bytes.buffer).setFloat64(1, value, false);
    this.emit(...bytes);
  }

  private emit(...bytes: number[]): void {
    this.pushRewritten(Uint8Array.from(bytes));
  }

  private finish(opcodes: number): CheckedPickle {
    this.flushRun();
    const starts = new Array<number>(this.chunks.length);
    let total = 0;
    this.chunks.forEach((chunk, index) => {
      starts[index] = total;
      total += chunk.byteLength;
    });
    const program = new Uint8Array(total);
    this.chunks.forEach((chunk, index) => program.set(chunk, starts[index]));
    const { chunkSource: sources, chunkVerbatim: verbatim, opStarts } = this;
    const base = this.where.baseOffset;
    return {
      program,
      length: this.pos,
      opcodes,
      sourceOffset(programOffset: number): number {
        const chunk = lastAtMost(starts, programOffset);
        if (!verbatim[chunk]) return base + (sources[chunk] ?? 0);
        // Inside a verbatim run: the start of the source opcode that byte belongs to.
        return base + opStarts[lastAtMost(opStarts, sources[chunk]! + programOffset - starts[chunk]!)]!;
      },
    };
  }

  // --- locating a refused global --------------------------------------------------------
  // A refused global is reported only once the walk reaches STOP (or breaks), so its message can
  // name the dict keys under which the value it starts is stored. Nothing runs either way: the
  // checker only reads opcodes, and throws before pickleparser sees any of them.

  private refuse(qualifiedName: string): void {
    this.refusal ??= { ...this.globals.refused(qualifiedName), offset: this.where.baseOffset + this.opStart };
    this.stack.push({ kind: 'callable', holdsRefused: true });
  }

  /** Marks `container` as holding the refused global when one of `parts` does. */
  private holdIn(container: StackValue, parts: StackValue[]): void {
    if (parts.some((part) => part.holdsRefused)) container.holdsRefused = true;
  }

  /** As `holdIn`, for a list or tuple given its new items; remembers the index. */
  private holdInSequence(sequence: StackValue, items: StackValue[]): void {
    const first = sequence.length ?? 0;
    sequence.length = first + items.length;
    const index = items.findIndex((item) => item.holdsRefused);
    if (index < 0) return;
    sequence.holdsRefused = true;
    sequence.refusedUnder ??= { key: { kind: 'int', text: String(first + index) }, value: items[index]! };
  }

  /** As `holdIn`, for a dict given its new key, value, key, value...; remembers the key. */
  private holdInDict(dict: StackValue, pairs: StackValue[]): void {
    for (let index = 1; index < pairs.length; index += 2) {
      if (!pairs[index]!.holdsRefused) continue;
      dict.holdsRefused = true;
      dict.refusedUnder ??= { key: pairs[index - 1]!, value: pairs[index]! };
    }
  }

  /** Returns the dict keys and list indices from the root to the refused value (`model.nets.w`, `layers.1`), or undefined. */
  private refusedKeyPath(): string | undefined {
    const keys: string[] = [];
    let node = this.stack[0];
    for (; node !== undefined && node !== MARK && node.refusedUnder && keys.length <= MAX_KEY_PATH; node = node.refusedUnder.value) {
      keys.push((node.refusedUnder.key.text ?? '?').replace(/[^\x20-\x7e]/g, '?'));
    }
    return keys.length ? keys.join('.') : undefined;
  }

  private throwRefusal(refusal: NonNullable<PickleChecker['refusal']>, key?: string): never {
    throw new InputError(refusal.code, this.where.file, refusal.detail, { member: this.where.member, key, offset: refusal.offset });
  }

  private fail(code: string, detail: string): never {
    // Past a refused global, the first error is the one to report.
    if (this.refusal) this.throwRefusal(this.refusal);
    throw new InputError(code, this.where.file, detail, { member: this.where.member, offset: this.where.baseOffset + this.opStart });
  }
}

/** Returns the index of the last element of `sorted` (ascending, non-empty) that is at most `value`, or 0. */
function lastAtMost(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (sorted[middle]! <= value) low = middle;
    else high = middle - 1;
  }
  return low;
}

/**
 * A private marker plus BUILD: tags the fresh array before it as a tuple (pickleparser's BUILD
 * assigns the marker's symbol-keyed property onto it). Built once: a checkpoint has thousands of tuples.
 */
const TAG_AS_TUPLE = Uint8Array.from([...privateGlobal('tuple'), 0x62]);

function privateGlobal(name: string): number[] {
  return [0x63, ...encoder.encode(`${PRIVATE_MODULE}\n${name}\n`)];
}

function uint32LE(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

/** Returns the two's-complement little-endian integer in `bytes` (pickle's LONG1/LONG4 encoding). */
function decodeSignedLE(bytes: Uint8Array): bigint {
  if (bytes.byteLength === 0) return 0n;
  let value = 0n;
  for (let index = bytes.byteLength - 1; index >= 0; index--) value = (value << 8n) | BigInt(bytes[index]!);
  if (bytes[bytes.byteLength - 1]! & 0x80) value -= 1n << BigInt(8 * bytes.byteLength);
  return value;
}
