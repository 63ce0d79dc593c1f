/**
 * Pairs the submodules a surgery transfers (each image encoder, the fork's `combine` MLP, the UNet)
 * of the output with those of the source, and says what the surgery claims about each: copied
 * unchanged, partly or wholly reinitialised. The claims come from the provenance's per-key
 * transfers; without them, encoders are paired by identical weights, else by name and shapes.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KeyStatus } from '../plan/plan-types.ts';
import type { PolicyConfig } from '../model/config.ts';
import type { PolicySchema } from '../model/schema.ts';
import type { PolicyWeights } from '../model/weights.ts';
import type { KeyTransfer } from '../plan/build-provenance.ts';

export type SubmoduleKind = 'encoder' | 'combine' | 'unet';

/** One transferable submodule of a policy: its kind, name and state-dict key prefix. */
export interface Submodule {
  kind: SubmoduleKind;
  /** The obs key for an encoder; `combine` or `unet` otherwise. */
  name: string;
  /** Every key of the submodule starts with this (ends in `.`). */
  prefix: string;
  /** Keys relative to `prefix`, in state-dict order (aliases included). */
  keys: string[];
}

/** One side of the comparison: a policy's config, schema and one of its weight sets. */
export interface Side {
  config: PolicyConfig;
  schema: PolicySchema;
  weights: PolicyWeights;
}

export type Claim = 'copied' | 'partly reinitialised' | 'reinitialised' | 'unclaimed';
export type PairedBy = 'provenance' | 'identical weights' | 'name and shapes';

export interface NotCopied {
  /** Relative to the output submodule's prefix. */
  key: string;
  /** The recorded status, or `elsewhere` for a tensor copied from outside the paired submodule. */
  status: KeyStatus | 'elsewhere' | 'unrecorded';
}

export interface SubmodulePair {
  output: Submodule;
  /** Null when nothing in the source pairs with it. */
  source: Submodule | null;
  pairedBy: PairedBy | null;
  claim: Claim;
  /** Output keys not copied unchanged from the paired submodule (empty for `copied`). */
  notCopied: NotCopied[];
}

/** Returns the transferable submodules of a policy, in state-dict order (encoders, combine, UNet). */
export function submodulesOf(config: PolicyConfig, schema: PolicySchema): Submodule[] {
  const encoders = config.obsKeys.filter((k) => k.modality === 'rgb').map((k): [SubmoduleKind, string, string] => ['encoder', k.key, `${schema.prefix.obsNets}${k.key}.`]);
  const rest: [SubmoduleKind, string, string][] = [...(config.combine ? [['combine', 'combine', schema.prefix.combine] as [SubmoduleKind, string, string]] : []), ['unet', 'unet', schema.prefix.unet]];
  return [...encoders, ...rest].map(([kind, name, prefix]) => ({
    kind,
    name,
    prefix,
    keys: schema.entries.filter((e) => e.key.startsWith(prefix)).map((e) => e.key.slice(prefix.length)),
  }));
}

/**
 * Returns each output submodule paired with the source submodule its tensors were copied from,
 * as one state dict's recorded transfers say.
 */
export function pairFromTransfers(source: Submodule[], output: Submodule[], transfers: Map<string, KeyTransfer>): SubmodulePair[] {
  return output.map((out) => {
    const origins = out.keys.map((key) => originOf(source, transfers.get(out.prefix + key)));
    const from = mostCommon(origins.flatMap((o) => (o.module ? [o.module] : [])));
    const notCopied: NotCopied[] = [];
    out.keys.forEach((key, i) => {
      const o = origins[i]!;
      if (o.status !== 'loaded' && o.status !== 'renamed') notCopied.push({ key, status: o.status });
      // A copy from outside the paired submodule (or under another name in it) is no copy of it.
      else if (from && (o.module !== from || o.key !== key)) notCopied.push({ key, status: 'elsewhere' });
    });
    return { output: out, source: from, pairedBy: from ? 'provenance' : null, claim: claimOf(notCopied.length, out.keys.length), notCopied };
  });
}

/**
 * Returns each output submodule paired without a record: encoders with a source encoder of
 * identical weights, else one of the same name and shapes; `combine` and the UNet with the
 * source's when their shapes agree. Only identical weights make a claim (`copied`).
 */
export async function pairByWeights(source: Submodule[], output: Submodule[], sourceSide: Side, outputSide: Side): Promise<SubmodulePair[]> {
  const pairs: SubmodulePair[] = [];
  for (const out of output) {
    const candidates = source.filter((s) => s.kind === out.kind && sameShapes(s, sourceSide, out, outputSide));
    let identical: Submodule | undefined;
    for (const s of candidates) if (!identical && (await sameValues(s, sourceSide, out, outputSide))) identical = s;
    if (identical) {
      pairs.push({ output: out, source: identical, pairedBy: 'identical weights', claim: 'copied', notCopied: [] });
      continue;
    }
    const named = candidates.find((s) => s.name === out.name);
    pairs.push({ output: out, source: named ?? null, pairedBy: named ? 'name and shapes' : null, claim: 'unclaimed', notCopied: [] });
  }
  return pairs;
}

function originOf(source: Submodule[], transfer: KeyTransfer | undefined): { status: NotCopied['status']; module: Submodule | null; key: string } {
  if (!transfer) return { status: 'unrecorded', module: null, key: '' };
  const from = transfer.from ?? '';
  const module = source.find((s) => from.startsWith(s.prefix)) ?? null;
  return { status: transfer.status, module, key: module ? from.slice(module.prefix.length) : '' };
}

function mostCommon<T>(items: T[]): T | null {
  const counts = new Map<T, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  let best: T | null = null;
  for (const [item, n] of counts) if (best === null || n > counts.get(best)!) best = item;
  return best;
}

function claimOf(notCopied: number, total: number): Claim {
  if (notCopied === 0) return 'copied';
  return notCopied === total ? 'reinitialised' : 'partly reinitialised';
}

function tensorAt(side: Side, module: Submodule, key: string): tf.Tensor {
  return side.weights.tensors[side.schema.byKey.get(module.prefix + key)!.id]!;
}

function sameShapes(a: Submodule, aSide: Side, b: Submodule, bSide: Side): boolean {
  if (a.keys.join('\n') !== b.keys.join('\n')) return false;
  return a.keys.every((key) => tensorAt(aSide, a, key).shape.join(',') === tensorAt(bSide, b, key).shape.join(','));
}

/** Whether every tensor of `a` equals its namesake in `b`, compared on the device and read back once (webgpu cannot read synchronously). */
async function sameValues(a: Submodule, aSide: Side, b: Submodule, bSide: Side): Promise<boolean> {
  const equal = tf.tidy(() => tf.all(tf.stack(a.keys.map((key) => tf.all(tf.equal(tensorAt(aSide, a, key), tensorAt(bSide, b, key)))))));
  const [value] = await equal.data();
  equal.dispose();
  return value === 1;
}
