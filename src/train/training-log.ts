/**
 * The run's record on disk: `metrics.jsonl` (one JSON object per step and per epoch, appended) and
 * `loss.svg` (re-rendered atomically every few seconds and at each epoch end).
 */
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeTextAtomically } from '../checkpoint/write-atomically.ts';
import { renderLossPlot, type LossPoint } from './loss-plot.ts';

/** How often the loss plot is redrawn during an epoch, in milliseconds. */
const PLOT_INTERVAL_MS = 10_000;

export interface TrainingLog {
  step(record: Record<string, unknown> & { step: number; loss: number }): Promise<void>;
  epoch(record: Record<string, unknown> & { step: number; valid_loss?: number | null }): Promise<void>;
  flush(): Promise<void>;
}

/** Returns a log writing into `dir`; `history` restores the curve of a resumed run. */
export async function openTrainingLog(dir: string, title: string, history: { train: LossPoint[]; valid: LossPoint[] } = { train: [], valid: [] }): Promise<TrainingLog> {
  const metrics = join(dir, 'metrics.jsonl');
  const plot = join(dir, 'loss.svg');
  const { train, valid } = history;
  let buffered: string[] = [];
  let lastPlot = 0;
  const redraw = async () => {
    lastPlot = Date.now();
    // Through the shared temp-and-rename writer, which removes the temps of killed runs; no fsync, as
    // the plot is redrawn every few seconds and a lost one costs nothing.
    await writeTextAtomically(plot, renderLossPlot(train, valid, title), [], false);
  };
  const flush = async () => {
    if (buffered.length) await appendFile(metrics, buffered.join(''));
    buffered = [];
  };
  return {
    async step(record) {
      train.push({ step: record.step, loss: record.loss });
      buffered.push(`${JSON.stringify({ kind: 'step', ...record })}\n`);
      if (Date.now() - lastPlot > PLOT_INTERVAL_MS) {
        await flush();
        await redraw();
      }
    },
    async epoch(record) {
      if (typeof record.valid_loss === 'number') valid.push({ step: record.step, loss: record.valid_loss });
      buffered.push(`${JSON.stringify({ kind: 'epoch', ...record })}\n`);
      await flush();
      await redraw();
    },
    flush,
  };
}

/**
 * Returns the loss history of a run being resumed at `step`, and rewrites `metrics.jsonl` without
 * the records written after that checkpoint (the killed run's steps are done again).
 */
export async function rewindTrainingLog(dir: string, step: number): Promise<{ train: LossPoint[]; valid: LossPoint[] }> {
  const metrics = join(dir, 'metrics.jsonl');
  let text = '';
  try {
    text = await readFile(metrics, 'utf8');
  } catch {
    return { train: [], valid: [] };
  }
  const kept: string[] = [];
  const train: LossPoint[] = [];
  const valid: LossPoint[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let record: { kind?: string; step?: number; loss?: number; valid_loss?: number | null };
    try {
      record = JSON.parse(line);
    } catch {
      continue; // a line cut by the kill
    }
    if (typeof record.step !== 'number' || record.step > step) continue;
    kept.push(line);
    if (record.kind === 'step' && typeof record.loss === 'number') train.push({ step: record.step, loss: record.loss });
    if (record.kind === 'epoch' && typeof record.valid_loss === 'number') valid.push({ step: record.step, loss: record.valid_loss });
  }
  await writeFile(metrics, kept.map((l) => `${l}\n`).join(''));
  return { train, valid };
}
