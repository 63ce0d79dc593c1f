/**
 * Reads a zip archive's central directory (classic and zip64) without touching member data.
 * Local headers are read only when a member's data offset is first needed.
 */
import { stat } from 'node:fs/promises';
import { InputError } from '../../input-error.ts';
import { readRange } from '../storage-bytes.ts';

/** One member, as the central directory records it. */
export interface ZipEntry {
  name: string;
  /** 0 = STORED, 8 = DEFLATE. */
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const CENTRAL_HEADER_SIZE = 46;
const LOCAL_HEADER_SIZE = 30;
/** The zip comment length field is 16 bits, so the end record is within this many bytes of the end. */
const MAX_EOCD_SEARCH = EOCD_SIZE + 0xffff;
/** A torch checkpoint has one member per storage; a million is far beyond any real model. */
export const MAX_ZIP_ENTRIES = 1_000_000;
/** The directory is read into memory at once; ~100 bytes per entry for a million entries. */
export const MAX_CENTRAL_DIRECTORY_BYTES = 128 * 1024 * 1024;

/** Returns every member of the zip at `path`, in central-directory order. */
export async function readZipDirectory(path: string): Promise<ZipEntry[]> {
  const fileSize = (await stat(path)).size;
  // torch writes no zip comment, so the end records are the last 98 bytes; search further only if not.
  let tailStart = Math.max(0, fileSize - (EOCD_SIZE + 20 + 56));
  let tail = await readRange(path, tailStart, fileSize - tailStart);
  let eocdAt = findEndRecord(tail);
  if (eocdAt < 0 && tailStart > 0) {
    tailStart = Math.max(0, fileSize - MAX_EOCD_SEARCH);
    tail = await readRange(path, tailStart, fileSize - tailStart);
    eocdAt = findEndRecord(tail);
  }
  if (eocdAt < 0) throw new InputError('format/zip-no-end-record', path, 'no zip end-of-central-directory record was found; the file is not a zip archive or is truncated.', { offset: fileSize });
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let count = view.getUint16(eocdAt + 10, true);
  let size = view.getUint32(eocdAt + 12, true);
  let offset = view.getUint32(eocdAt + 16, true);
  const eocdOffset = tailStart + eocdAt;
  const locatorAt = eocdAt - 20;
  if (locatorAt >= 0 && view.getUint32(locatorAt, true) === ZIP64_LOCATOR_SIGNATURE) {
    ({ count, size, offset } = await readZip64End(path, readUint64(view, locatorAt + 8, path, tailStart + locatorAt + 8), eocdOffset));
  }
  if (count > MAX_ZIP_ENTRIES) throw new InputError('format/zip-too-many-entries', path, `the zip declares ${count} members, more than the ${MAX_ZIP_ENTRIES} allowed.`, { offset: eocdOffset });
  if (size > MAX_CENTRAL_DIRECTORY_BYTES) throw new InputError('format/zip-directory-too-large', path, `the zip central directory declares ${size} bytes, more than the ${MAX_CENTRAL_DIRECTORY_BYTES} allowed.`, { offset: eocdOffset });
  if (offset + size > eocdOffset) throw new InputError('format/zip-bad-directory', path, `the central directory [${offset}, ${offset + size}) extends past the end record at ${eocdOffset}; the file is truncated or damaged.`, { offset: eocdOffset });
  const directory = await readRange(path, offset, size);
  return parseDirectory(path, directory, offset, count, fileSize);
}

function findEndRecord(tail: Uint8Array): number {
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  for (let at = tail.byteLength - EOCD_SIZE; at >= 0; at--) {
    // The comment length must reach exactly to the end of the file, which rules out signature bytes inside a comment.
    if (view.getUint32(at, true) === EOCD_SIGNATURE && at + EOCD_SIZE + view.getUint16(at + 20, true) === tail.byteLength) return at;
  }
  return -1;
}

async function readZip64End(path: string, recordOffset: number, eocdOffset: number): Promise<{ count: number; size: number; offset: number }> {
  if (recordOffset + 56 > eocdOffset) throw new InputError('format/zip-bad-directory', path, `the zip64 end record offset ${recordOffset} points past the end record.`, { offset: recordOffset });
  const record = await readRange(path, recordOffset, 56);
  const view = new DataView(record.buffer);
  if (view.getUint32(0, true) !== ZIP64_EOCD_SIGNATURE) throw new InputError('format/zip-bad-directory', path, 'the zip64 end record has a wrong signature; the file is damaged.', { offset: recordOffset });
  return {
    count: readUint64(view, 32, path, recordOffset + 32),
    size: readUint64(view, 40, path, recordOffset + 40),
    offset: readUint64(view, 48, path, recordOffset + 48),
  };
}

function readUint64(view: DataView, at: number, path: string, fileOffset: number): number {
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new InputError('format/zip-bad-directory', path, `a 64-bit size or offset (${value}) is beyond any real file.`, { offset: fileOffset });
  return Number(value);
}

function parseDirectory(path: string, directory: Uint8Array, base: number, count: number, fileSize: number): ZipEntry[] {
  const view = new DataView(directory.buffer, directory.byteOffset, directory.byteLength);
  const decoder = new TextDecoder();
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let at = 0;
  for (let index = 0; index < count; index++) {
    const where = { offset: base + at };
    if (at + CENTRAL_HEADER_SIZE > directory.byteLength || view.getUint32(at, true) !== CENTRAL_SIGNATURE) {
      throw new InputError('format/zip-bad-directory', path, `central directory entry ${index} of ${count} is missing or has a wrong signature.`, where);
    }
    const flags = view.getUint16(at + 8, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const next = at + CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength;
    if (next > directory.byteLength) throw new InputError('format/zip-bad-directory', path, `central directory entry ${index} runs past the directory's end.`, where);
    const name = decoder.decode(directory.subarray(at + CENTRAL_HEADER_SIZE, at + CENTRAL_HEADER_SIZE + nameLength));
    const entry: ZipEntry = {
      name,
      method: view.getUint16(at + 10, true),
      crc32: view.getUint32(at + 16, true),
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      localHeaderOffset: view.getUint32(at + 42, true),
    };
    applyZip64Extra(path, entry, new DataView(directory.buffer, directory.byteOffset + at + CENTRAL_HEADER_SIZE + nameLength, extraLength), base + at);
    const member = { member: name, offset: base + at };
    if (flags & 1) throw new InputError('format/zip-encrypted', path, 'the member is encrypted; surgery reads only unencrypted archives.', member);
    if (entry.method !== 0 && entry.method !== 8) throw new InputError('format/zip-method', path, `the member uses compression method ${entry.method}; only STORED (0) and DEFLATE (8) are supported.`, member);
    if (entry.localHeaderOffset + LOCAL_HEADER_SIZE + entry.compressedSize > fileSize) {
      throw new InputError('format/zip-bad-directory', path, `the member's data (${entry.compressedSize} bytes at ${entry.localHeaderOffset}) lies outside the ${fileSize}-byte file.`, member);
    }
    if (names.has(name)) throw new InputError('format/zip-duplicate-member', path, 'the archive holds two members with this name.', member);
    names.add(name);
    entries.push(entry);
    at = next;
  }
  return entries;
}

function applyZip64Extra(path: string, entry: ZipEntry, extra: DataView, entryOffset: number): void {
  const saturated = 0xffffffff;
  for (let at = 0; at + 4 <= extra.byteLength; ) {
    const id = extra.getUint16(at, true);
    const length = extra.getUint16(at + 2, true);
    if (id === 0x0001) {
      let field = at + 4;
      const end = Math.min(field + length, extra.byteLength);
      const take = (): number => {
        if (field + 8 > end) throw new InputError('format/zip-bad-directory', path, 'the zip64 extra field is shorter than the sizes it must hold.', { member: entry.name, offset: entryOffset });
        const value = readUint64(extra, field, path, entryOffset);
        field += 8;
        return value;
      };
      if (entry.size === saturated) entry.size = take();
      if (entry.compressedSize === saturated) entry.compressedSize = take();
      if (entry.localHeaderOffset === saturated) entry.localHeaderOffset = take();
      return;
    }
    at += 4 + length;
  }
}

/**
 * Returns the absolute offset of a member's data, read from its local header (whose name and
 * extra lengths may differ from the central directory's).
 */
export async function resolveDataOffset(path: string, entry: ZipEntry, fileSize: number): Promise<number> {
  const header = await readRange(path, entry.localHeaderOffset, LOCAL_HEADER_SIZE, entry.name);
  const view = new DataView(header.buffer);
  if (view.getUint32(0, true) !== LOCAL_SIGNATURE) {
    throw new InputError('format/zip-bad-local-header', path, 'the local header has a wrong signature; the central directory points at the wrong place.', { member: entry.name, offset: entry.localHeaderOffset });
  }
  const dataOffset = entry.localHeaderOffset + LOCAL_HEADER_SIZE + view.getUint16(26, true) + view.getUint16(28, true);
  if (dataOffset + entry.compressedSize > fileSize) {
    throw new InputError('format/truncated', path, `the member's ${entry.compressedSize} bytes at ${dataOffset} run past the end of the ${fileSize}-byte file.`, { member: entry.name, offset: dataOffset });
  }
  return dataOffset;
}
