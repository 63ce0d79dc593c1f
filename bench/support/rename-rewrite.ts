/**
 * The rename-only rewrite that bench/io.ts times: open a checkpoint, drop DataParallel's
 * `.module.` from every key of every state dict (with `_metadata` following), write a new torch
 * zip. Prints the in-process seconds (without Node start-up) on stdout.
 *
 *   node --import tsx bench/support/rename-rewrite.ts SOURCE DESTINATION [--no-fsync]
 */
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import { setAtPath } from '../../src/checkpoint/py-value.ts';
import { renameKeys } from '../../src/checkpoint/rename-keys.ts';
import { writeCheckpoint } from '../../src/checkpoint/write-checkpoint.ts';

const [source, destination] = process.argv.slice(2);
if (!source || !destination) throw new Error('usage: rename-rewrite.ts SOURCE DESTINATION');
const started = performance.now();
const checkpoint = await openCheckpoint(source);
let root = checkpoint.root;
for (const entry of checkpoint.stateDicts) {
  root = setAtPath(root, entry.path, renameKeys(entry.dict, (key) => key.replace('.module.', '.')));
}
await writeCheckpoint(destination, root, { format: 'torch-zip', durable: !process.argv.includes('--no-fsync') });
console.log(((performance.now() - started) / 1000).toFixed(3));
