/**
 * Reads batches on a worker thread so the next batch is read while the current step computes
 * (h5wasm reads are synchronous; on the main thread they would stall the step). Batches come back
 * in request order; the main thread keeps choosing the samples, so the stream of batches does not
 * depend on timing.
 */
import { Worker } from 'node:worker_threads';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NormalizationStats } from './action-stats.ts';
import type { DataSource, DataSpec } from './data-spec.ts';
import { readBatch, type Batch, type BatchSource } from './read-batch.ts';
import type { SampleRef } from './sequence-dataset.ts';

/** What the worker needs to reopen the files exactly as the main thread did. */
export interface PrefetchInit {
  sources: DataSource[];
  spec: DataSpec;
  acDim: number;
  actionNormalization: [string, NormalizationStats][];
}

export type PrefetchRequest = { kind: 'read'; id: number; refs: SampleRef[] } | { kind: 'close' };
export type PrefetchReply = { id: number; batch?: Batch; error?: string };

export interface BatchReader {
  /** Starts reading the batch for `refs`; resolves with it. */
  read(refs: SampleRef[]): Promise<Batch>;
  close(): Promise<void>;
}

/** Returns a reader that reads on the calling thread (tests, tiny runs). */
export function inlineReader(source: BatchSource): BatchReader {
  return { read: async (refs) => readBatch(source, refs), close: async () => undefined };
}

/** Returns a reader backed by a worker thread that opened `sources` itself. */
export async function workerReader(sources: DataSource[], source: BatchSource): Promise<BatchReader> {
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
    read(refs) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      return new Promise<Batch>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ kind: 'read', id, refs } satisfies PrefetchRequest);
      });
    },
    async close() {
      worker.postMessage({ kind: 'close' } satisfies PrefetchRequest);
      await worker.terminate();
    },
  };
}
