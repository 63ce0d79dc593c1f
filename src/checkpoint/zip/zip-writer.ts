/**
 * Writes a zip archive the way torch's PyTorchStreamWriter lays it out: STORED members whose data
 * starts on a 64-byte boundary (padding in an "FB" extra field), zip64 records whenever a size or
 * offset needs them and always a zip64 end record, as torch does.
 */
import type { FileHandle } from 'node:fs/promises';
import { writeFully } from '../copy-range.ts';

/** torch aligns member data so storages can be memory-mapped. */
export const ZIP_ALIGNMENT = 64;
const SATURATED = 0xffffffff;
const encoder = new TextEncoder();

interface Written {
  name: Uint8Array;
  crc32: number;
  size: number;
  localHeaderOffset: number;
}

/** Writes members one after another at increasing offsets of an open file. */
export class ZipWriter {
  private position = 0;
  private readonly members: Written[] = [];

  constructor(private readonly handle: FileHandle) {}

  /**
   * Adds a member of `size` bytes. `writeData(offset)` must write exactly that many bytes at the
   * absolute file offset and return their CRC-32; `knownCrc` lets the header carry it up front.
   */
  async add(name: string, size: number, writeData: (offset: number) => Promise<number>, knownCrc?: number): Promise<void> {
    const nameBytes = encoder.encode(name);
    const localHeaderOffset = this.position;
    const header = localHeader(nameBytes, size, knownCrc ?? 0, localHeaderOffset);
    const dataOffset = localHeaderOffset + header.byteLength;
    await writeFully(this.handle, header, header.byteLength, localHeaderOffset);
    const crc32 = await writeData(dataOffset);
    if (knownCrc === undefined) {
      const patch = new Uint8Array(4);
      new DataView(patch.buffer).setUint32(0, crc32, true);
      await writeFully(this.handle, patch, 4, localHeaderOffset + 14);
    }
    this.members.push({ name: nameBytes, crc32, size, localHeaderOffset });
    this.position = dataOffset + size;
  }

  /** Writes the central directory and end records; returns the archive's total size. */
  async finish(): Promise<number> {
    const parts = this.members.map(centralHeader);
    const directoryOffset = this.position;
    const directorySize = parts.reduce((sum, part) => sum + part.byteLength, 0);
    parts.push(endRecords(this.members.length, directoryOffset, directorySize));
    for (const part of parts) {
      await writeFully(this.handle, part, part.byteLength, this.position);
      this.position += part.byteLength;
    }
    return this.position;
  }
}

function localHeader(name: Uint8Array, size: number, crc32: number, offset: number): Uint8Array {
  const zip64 = size >= SATURATED;
  const zip64Length = zip64 ? 20 : 0;
  const unpadded = offset + 30 + name.byteLength + zip64Length + 4;
  const padding = (ZIP_ALIGNMENT - (unpadded % ZIP_ALIGNMENT)) % ZIP_ALIGNMENT;
  const extraLength = zip64Length + 4 + padding;
  const bytes = new Uint8Array(30 + name.byteLength + extraLength);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0x04034b50, true);
  view.setUint16(4, zip64 ? 45 : 20, true);
  view.setUint16(6, utf8Flag(name), true);
  view.setUint16(8, 0, true);
  view.setUint32(10, 0x00210000, true); // DOS time 00:00, date 1980-01-01: deterministic output.
  view.setUint32(14, crc32, true);
  view.setUint32(18, zip64 ? SATURATED : size, true);
  view.setUint32(22, zip64 ? SATURATED : size, true);
  view.setUint16(26, name.byteLength, true);
  view.setUint16(28, extraLength, true);
  bytes.set(name, 30);
  let at = 30 + name.byteLength;
  if (zip64) {
    view.setUint16(at, 0x0001, true);
    view.setUint16(at + 2, 16, true);
    view.setBigUint64(at + 4, BigInt(size), true);
    view.setBigUint64(at + 12, BigInt(size), true);
    at += 20;
  }
  view.setUint16(at, 0x4246, true); // "FB": torch's alignment padding field.
  view.setUint16(at + 2, padding, true);
  bytes.fill(0x5a, at + 4);
  return bytes;
}

function centralHeader(member: Written): Uint8Array {
  const bigSize = member.size >= SATURATED;
  const bigOffset = member.localHeaderOffset >= SATURATED;
  const zip64Fields = (bigSize ? 2 : 0) + (bigOffset ? 1 : 0);
  const extraLength = zip64Fields ? 4 + 8 * zip64Fields : 0;
  const bytes = new Uint8Array(46 + member.name.byteLength + extraLength);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0x02014b50, true);
  view.setUint16(4, 45, true);
  view.setUint16(6, zip64Fields ? 45 : 20, true);
  view.setUint16(8, utf8Flag(member.name), true);
  view.setUint16(10, 0, true);
  view.setUint32(12, 0x00210000, true);
  view.setUint32(16, member.crc32, true);
  view.setUint32(20, bigSize ? SATURATED : member.size, true);
  view.setUint32(24, bigSize ? SATURATED : member.size, true);
  view.setUint16(28, member.name.byteLength, true);
  view.setUint16(30, extraLength, true);
  view.setUint32(42, bigOffset ? SATURATED : member.localHeaderOffset, true);
  bytes.set(member.name, 46);
  if (zip64Fields) {
    let at = 46 + member.name.byteLength;
    view.setUint16(at, 0x0001, true);
    view.setUint16(at + 2, 8 * zip64Fields, true);
    at += 4;
    // The zip64 extra lists only the saturated fields, in this fixed order.
    if (bigSize) {
      view.setBigUint64(at, BigInt(member.size), true);
      view.setBigUint64(at + 8, BigInt(member.size), true);
      at += 16;
    }
    if (bigOffset) view.setBigUint64(at, BigInt(member.localHeaderOffset), true);
  }
  return bytes;
}

function endRecords(count: number, directoryOffset: number, directorySize: number): Uint8Array {
  const bytes = new Uint8Array(56 + 20 + 22);
  const view = new DataView(bytes.buffer);
  const zip64EndOffset = directoryOffset + directorySize;
  view.setUint32(0, 0x06064b50, true);
  view.setBigUint64(4, 44n, true);
  view.setUint16(12, 45, true);
  view.setUint16(14, 45, true);
  view.setBigUint64(24, BigInt(count), true);
  view.setBigUint64(32, BigInt(count), true);
  view.setBigUint64(40, BigInt(directorySize), true);
  view.setBigUint64(48, BigInt(directoryOffset), true);
  view.setUint32(56, 0x07064b50, true);
  view.setBigUint64(64, BigInt(zip64EndOffset), true);
  view.setUint32(72, 1, true);
  view.setUint32(76, 0x06054b50, true);
  view.setUint16(84, Math.min(count, 0xffff), true);
  view.setUint16(86, Math.min(count, 0xffff), true);
  view.setUint32(88, Math.min(directorySize, SATURATED), true);
  view.setUint32(92, Math.min(directoryOffset, SATURATED), true);
  return bytes;
}

function utf8Flag(name: Uint8Array): number {
  return name.some((byte) => byte >= 0x80) ? 0x0800 : 0;
}
