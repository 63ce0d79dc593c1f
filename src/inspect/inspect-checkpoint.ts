/**
 * Builds the `surgery inspect` report of a checkpoint: its value tree, and for each state dict
 * its counts, sizes, dtype mix, keys (filtered, runs collapsed) and alias groups. Reads only
 * headers and pickles, never tensor bytes.
 */
import { openCheckpoint } from '../checkpoint/open-checkpoint.ts';
import type { CheckpointFormat } from '../checkpoint/types.ts';
import { summarizeStateDict, type StateDictSummary } from './summarize-state-dict.ts';
import { summarizeTree, type TreeNode } from './summarize-tree.ts';

/** Everything `surgery inspect` shows, as plain data (the `--json` output). */
export interface InspectReport {
  file: string;
  format: CheckpointFormat;
  fileSize: number;
  archiveName?: string;
  metadata?: Record<string, string>;
  tree: TreeNode;
  stateDicts: StateDictSummary[];
  /** The `--keys` pattern, when one was given. */
  keyFilter?: string;
}

/** Returns the inspect report of the checkpoint at `path`, listing only keys matching `keys` (a glob). */
export async function inspectCheckpoint(path: string, options: { keys?: string } = {}): Promise<InspectReport> {
  const checkpoint = await openCheckpoint(path);
  const keep = options.keys === undefined ? () => true : keyMatcher(options.keys);
  const names = new Map<object, string>(checkpoint.stateDicts.map((entry) => [entry.dict, entry.name]));
  return {
    file: path,
    format: checkpoint.format,
    fileSize: checkpoint.fileSize,
    ...(checkpoint.archiveName !== undefined ? { archiveName: checkpoint.archiveName } : {}),
    ...(checkpoint.metadata ? { metadata: checkpoint.metadata } : {}),
    tree: summarizeTree(checkpoint.root, names),
    stateDicts: checkpoint.stateDicts.map((entry) => summarizeStateDict(entry, keep)),
    ...(options.keys !== undefined ? { keyFilter: options.keys } : {}),
  };
}

/**
 * Returns a predicate for `--keys`: `*` matches any run of characters (dots included), `?` one
 * character; a pattern without wildcards matches any key containing it.
 */
export function keyMatcher(pattern: string): (key: string) => boolean {
  if (!/[*?]/.test(pattern)) return (key) => key.includes(pattern);
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  const regex = new RegExp(`^${source}$`);
  return (key) => regex.test(key);
}
