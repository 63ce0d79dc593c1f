/**
 * robomimic `SequenceDataset.get_sequence_from_demo` as index arithmetic: which stored frames fill
 * a window, with the first frame repeated before the start and the last after the end.
 */

/** The frames of one window, and how many of them are padding at either end. */
export interface SequenceWindow {
  /** Stored frame index for every window position (clamped copies at the padded ends). */
  frames: number[];
  /** Half-open range of stored rows actually read: `[begin, end)`. */
  begin: number;
  end: number;
  padBefore: number;
  padAfter: number;
}

/**
 * Returns the window of `framesBefore + seqLength` frames starting `framesBefore` before
 * `indexInDemo`, clamped to `[0, demoLength)` the way robomimic pads (`pad_same=True`).
 */
export function sequenceWindow(indexInDemo: number, demoLength: number, framesBefore: number, seqLength: number): SequenceWindow {
  const begin = Math.max(0, indexInDemo - framesBefore);
  const end = Math.min(demoLength, indexInDemo + seqLength);
  const padBefore = Math.max(0, framesBefore - indexInDemo);
  const padAfter = Math.max(0, indexInDemo + seqLength - demoLength);
  const frames: number[] = [];
  for (let i = 0; i < padBefore; i++) frames.push(begin);
  for (let i = begin; i < end; i++) frames.push(i);
  for (let i = 0; i < padAfter; i++) frames.push(end - 1);
  return { frames, begin, end, padBefore, padAfter };
}

/**
 * Returns how many samples (start indices) a demo of `demoLength` frames yields, as
 * `SequenceDataset.load_demo_info` counts them.
 */
export function samplesInDemo(demoLength: number, frameStack: number, seqLength: number, padFrameStack: boolean, padSeqLength: boolean): number {
  let n = demoLength;
  if (!padFrameStack) n -= frameStack - 1;
  if (!padSeqLength) n -= seqLength - 1;
  return padSeqLength ? Math.max(n, 1) : Math.max(n, 0);
}
