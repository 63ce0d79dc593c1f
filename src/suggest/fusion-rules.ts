/**
 * The fusion layer: the fork's `combine.0.weight` [H, D] reads the per-key encoder outputs concatenated in encoder
 * order, so its input columns are blocks, one per obs key. With robomimic metadata on both sides (obs keys, shapes,
 * encoder order, image feature widths) the blocks are known, and the columns of every obs key that carries over move to
 * where the target expects them; the rest start at zero.
 */
import type { PolicyConfig } from '../model/config.ts';
import { coreOutputDim } from '../model/schema.ts';
import { formatShape } from '../plan/model-schema.ts';
import { assignColumnsStatement, reinitStatement, type DraftRule } from './draft-file.ts';

/** The columns of one obs key in the concatenation that `combine.0` reads. */
export interface FusionColumns {
  key: string;
  modality: 'low_dim' | 'rgb';
  start: number;
  stop: number;
}

/** Returns each obs key's columns in the concatenation, in encoder order. */
function fusionColumns(config: PolicyConfig): FusionColumns[] {
  let at = 0;
  return config.obsKeys.map((k) => {
    const width = k.modality === 'rgb' ? coreOutputDim(config.rgb, k.shape) : k.shape[0]!;
    const columns = { key: k.key, modality: k.modality, start: at, stop: at + width };
    at += width;
    return columns;
  });
}

/** Whether `key` is the first Linear of the fork's fusion MLP. */
export function isFusionKey(key: string): boolean {
  return /(^|\.)combine\.0\.weight$/.test(key);
}

export interface FusionInput {
  /** The target key (segments), which the renames above also give the source tensor. */
  key: string[];
  sourceShape: number[];
  targetShape: number[];
  source: PolicyConfig | null;
  target: PolicyConfig | null;
  /** Where each source obs key went (the renames found for the obs encoders). */
  renamedObsKey: (sourceKey: string) => string;
}

/**
 * Returns the rules for the fusion layer: `reinit ... with zeros` plus one column assignment per obs key that carries
 * over; a plain reinit saying why when the metadata is missing or disagrees with the weights; no rules when the
 * columns already line up (the tensor loads as it is).
 */
export function fusionRules(input: FusionInput): DraftRule[] {
  const name = input.key.join('.');
  const plainReinit = (why: string): DraftRule[] => [{ statement: reinitStatement(input.key), why, confidence: 'certain' }];
  const mismatch = `${formatShape(input.sourceShape)} -> ${formatShape(input.targetShape)}`;
  if (!input.source || !input.target) {
    return plainReinit(`Fusion layer ${mismatch}: without robomimic metadata (config, shape_metadata) on both sides its input columns cannot be told apart, so it starts fresh`);
  }
  const source = fusionColumns(input.source);
  const target = fusionColumns(input.target);
  const sourceWidth = source.at(-1)?.stop ?? 0;
  const targetWidth = target.at(-1)?.stop ?? 0;
  if (input.sourceShape[1] !== sourceWidth || input.targetShape[1] !== targetWidth || input.sourceShape[0] !== input.targetShape[0]) {
    return plainReinit(`Fusion layer ${mismatch}: the metadata's obs keys add up to ${sourceWidth} -> ${targetWidth} input columns, which does not fit the weights, so it starts fresh`);
  }
  const blocks = target.flatMap((t) => {
    const s = source.find((c) => input.renamedObsKey(c.key) === t.key && c.modality === t.modality && c.stop - c.start === t.stop - t.start);
    return s ? [{ t, s }] : [];
  });
  const identity = sourceWidth === targetWidth && blocks.length === target.length && blocks.every(({ t, s }) => t.start === s.start);
  if (identity) return [];
  if (blocks.length === 0) return plainReinit(`Fusion layer ${mismatch}: no obs key of the source feeds the target's, so it starts fresh`);
  const layout = (cols: FusionColumns[]) => cols.map((c) => `${c.key} ${c.start}:${c.stop}`).join(', ');
  const unfed = target.filter((t) => !blocks.some((b) => b.t === t)).map((t) => t.key);
  const rules: DraftRule[] = [
    {
      statement: reinitStatement(input.key, 'zeros'),
      why:
        `Fusion layer ${name} ${mismatch}: its input columns are the obs keys in encoder order, source ${layout(source)}; target ${layout(target)}. ` +
        `The columns of the obs keys that carry over move below; the others (${unfed.join(', ') || 'none'}) start at zero, so the network computes from the moved inputs exactly what the source did until training weighs the new ones`,
      confidence: 'certain',
    },
  ];
  for (const { t, s } of blocks) {
    const pairing = t.key === s.key ? 'the same obs key on both sides' : 'paired by the rename above';
    rules.push({ statement: assignColumnsStatement(input.key, [t.start, t.stop], [s.start, s.stop]), why: `${t.key} <- ${s.key}: ${t.stop - t.start} columns, ${pairing}`, confidence: 'certain' });
  }
  return rules;
}
