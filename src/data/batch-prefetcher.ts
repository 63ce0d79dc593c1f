/**
 * Reads batches on a worker thread so the next batch is read while the current step computes
 * (h5wasm reads are synchronous; on the main thread they would stall the step). Batches come back
 * in request order; the main thread keeps choosing the samples and drawing the train-mode
 * randomizers, so the stream of batches does not depend on timing. A request with draws comes
 * back randomized: the crops and colour jitter (~0.8 ms per 128×128 image, ~0.4 s for a batch
 * of 128 with two cameras) run on the worker while the step before runs, not before the next.
 */
import { Worker } from 'node:worker_threads';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NormalizationStats } from './action-stats.ts';
import type { DataSource, DataSpec } from './data-spec.ts';
import { readBatch, type Batch, type BatchSource } from './read-batch.ts';
import type { SampleRef } from './sequence-dataset.ts';
import { invariant } from '../invariant.ts';
import { randomizeImages, type ImageRandomizers, type RandomizerDraws } from '../model/randomize-images.ts';

/** What the worker needs to reopen the files exactly as the main thread did. */
export interface PrefetchInit {
  sources: DataSource[];
  spec: DataSpec;
  acDim: number;
  actionNormalization: [string, NormalizationStats][];
  /** The policy's randomizers, which a request's draws are for; null when it has none. */
  randomizers: ImageRandomizers | null;
}

export type PrefetchRequest = { kind: 'read'; id: number; refs: SampleRef[]; draws?: RandomizerDraws } | { kind: 'close' };
export type PrefetchReply = { id: number; batch?: Batch; error?: string };

export interface BatchReader {
  /** Starts reading the batch for `refs`, randomized by `draws` when given; resolves with it. */
  read(refs: SampleRef[], draws?: RandomizerDraws): Promise<Batch>;
  close(): Promise<void>;
}

/**
 * Returns the batch for `refs`, its images randomized by `draws` (`randomizeImages`) when given.
 * @param randomizers what the draws are for; required with them
 */
export function readRandomizedBatch(source: BatchSource, refs: SampleRef[], randomizers: ImageRandomizers | null, draws?: RandomizerDraws): Batch {
  const batch = readBatch(source, refs);
  if (!draws) return batch;
  invariant(randomizers, 'randomizer draws were sent to a batch reader made without randomizers');
  return { ...batch, obs: randomizeImages(randomizers, batch.obs, draws) };
}

/** Returns a reader that reads on the calling thread (tests, tiny runs). */
export function inlineReader(source: BatchSource, randomizers: ImageRandomizers | null = null): BatchReader {
  return { read: async (refs, draws) => readRandomizedBatch(source, refs, randomizers, draws), close: async () => undefined };
}

/** Returns a reader backed by a worker thread that opened `sources` itself. */
export async function workerReader(sources: DataSource[], source: BatchSource, randomizers: ImageRandomizers | null = null): Promise<BatchReader> {
  // The worker is the sibling module with this module's own extension (.ts under tsx, .js when built).
  const self = fileURLToPath(import.meta.url);
  const url = new URL(`./batch-worker${extname(self)}`, import.meta.url).href;
  // Under tsx (tests, `npm run bench`) the worker must load TypeScript through tsx's API; built code imports plainly.
  const boot =
    extname(self) === '.ts'
      ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((api) => api.tsImport(${JSON.stringify(url)}, ${JSON.stringify(import.meta.url)}));`
      : `import(${JSON.stringify(url)});`;
  const worker = new Worker(boot, {
    eval: true,
    workerData: {
      sources,
      spec: source.spec,
      acDim: source.acDim,
      actionNormalization: [...source.actionNormalization],
      randomizers,
    } satisfies PrefetchInit,
  });
  const pending = new Map<number, { resolve: (b: Batch) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let failure: Error | null = null;
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (reply: PrefetchReply) => {
      if (reply.id === -1) return resolve();
      const waiter = pending.get(reply.id);
      pending.delete(reply.id);
      if (reply.error !== undefined || !reply.batch) waiter?.reject(new Error(reply.error ?? 'batch worker returned nothing'));
      else waiter?.resolve(reply.batch);
    });
    worker.on('error', (error) => {
      failure = error;
      reject(error);
      for (const w of pending.values()) w.reject(error);
      pending.clear();
    });
  });
  await ready;
  return {
    read(refs, draws) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      return new Promise<Batch>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ kind: 'read', id, refs, draws } satisfies PrefetchRequest);
      });
    },
    async close() {
      worker.postMessage({ kind: 'close' } satisfies PrefetchRequest);
      await worker.terminate();
    },
  };
}
