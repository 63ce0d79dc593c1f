/**
 * The prefetch thread: opens the same files read-only with its own h5wasm instance and answers
 * each `read` with a batch, randomized by the request's draws, whose buffers are transferred, not
 * copied. See `batch-prefetcher.ts`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDemoFile } from './demo-file.ts';
import type { BatchSource } from './read-batch.ts';
import { readRandomizedBatch, type PrefetchInit, type PrefetchReply, type PrefetchRequest } from './batch-prefetcher.ts';

const init = workerData as PrefetchInit;
const files = await Promise.all(init.sources.map((source) => openDemoFile(source, init.spec)));
const source: BatchSource = { files, spec: init.spec, acDim: init.acDim, actionNormalization: new Map(init.actionNormalization) };

parentPort!.on('message', (request: PrefetchRequest) => {
  if (request.kind === 'close') {
    files.forEach((f) => f.close());
    parentPort!.close();
    return;
  }
  try {
    const batch = readRandomizedBatch(source, request.refs, init.randomizers, request.draws);
    const buffers = [batch.actions.data.buffer, ...Object.values(batch.obs).map((o) => o.data.buffer)];
    parentPort!.postMessage({ id: request.id, batch } satisfies PrefetchReply, buffers as ArrayBuffer[]);
  } catch (error) {
    parentPort!.postMessage({ id: request.id, error: (error as Error).message } satisfies PrefetchReply);
  }
});
parentPort!.postMessage({ id: -1 } satisfies PrefetchReply);
