import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCli } from '../../src/cli/create-cli.ts';
import { storageReadStats } from '../../src/checkpoint/storage-bytes.ts';
import { inspectCheckpoint, keyMatcher } from '../../src/inspect/inspect-checkpoint.ts';
import { renderInspectText } from '../../src/inspect/render-inspect.ts';
import { REFERENCE_DIR } from '../support/reference.ts';

const DROID = join(REFERENCE_DIR, 'fork_droid_tiny.ckpt.pth');

/** The ALIAS groups and distinct-storage counts that the reference listing (made with torch) records. */
function referenceListing(name: string): { aliases: string[][]; summaries: Map<string, { keys: number; storages: number; groups: number }>; parameters: number } {
  const text = readFileSync(join(REFERENCE_DIR, `${name.replace(/\.ckpt$/, '')}.contents.txt`), 'utf8').split('########')[1]!;
  const summaries = new Map<string, { keys: number; storages: number; groups: number }>();
  for (const match of text.matchAll(/^# (\S+): (\d+) keys, (\d+) distinct storages, (\d+) alias groups/gm)) {
    summaries.set(match[1]!.replace('/', '.'), { keys: Number(match[2]), storages: Number(match[3]), groups: Number(match[4]) });
  }
  const aliases = text.split('\n').filter((line) => line.startsWith('ALIAS\t')).map((line) => line.split('\t').slice(1));
  const parameters = Number(/^# model\/nets distinct parameter\+buffer elements: (\d+)/m.exec(text)![1]);
  return { aliases, summaries, parameters };
}

test('inspect agrees with torch on every state dict: key counts, distinct elements, alias groups and their members', async () => {
  for (const name of ['fork_droid_tiny.ckpt', 'fork_libero_tiny.ckpt', 'upstream_libero_tiny.ckpt']) {
    const report = await inspectCheckpoint(join(REFERENCE_DIR, `${name}.pth`));
    const listing = referenceListing(name);
    assert.ok(listing.summaries.size > 0, `${name}: the listing has state-dict summaries`);
    for (const [stateDict, expected] of listing.summaries) {
      const summary = report.stateDicts.find((entry) => entry.name === stateDict)!;
      assert.is(summary.tensors, expected.keys, `${name} ${stateDict} keys`);
      assert.is(summary.aliasGroups.length, expected.groups, `${name} ${stateDict} alias groups`);
    }
    assert.is(report.stateDicts.find((entry) => entry.name === 'model.nets')!.parameters, listing.parameters, `${name} distinct elements`);
    const ours = report.stateDicts.flatMap((entry) => entry.aliasGroups.map((group) => group.join('\t')));
    const theirs = new Set(listing.aliases.map((group) => group.join('\t')));
    assert.ok(ours.every((group) => theirs.has(group)), `${name}: every alias group is one torch lists`);
  }
});

test('the DROID state dicts are all float32 and sized by distinct storages', async () => {
  const report = await inspectCheckpoint(DROID);
  const nets = report.stateDicts.find((entry) => entry.name === 'model.nets')!;
  assert.equal(nets.dtypes, { float32: nets.tensors });
  assert.is(nets.bytes, nets.parameters * 4, 'aliases counted once, no partial views');
});

test('inspect reads no tensor bytes', async () => {
  const before = storageReadStats();
  await inspectCheckpoint(DROID);
  assert.equal(storageReadStats(), before);
});

test('--keys filters the listed keys with a glob and keeps the totals', async () => {
  const report = await inspectCheckpoint(DROID, { keys: '*final_conv.1.*' });
  const nets = report.stateDicts.find((entry) => entry.name === 'model.nets')!;
  assert.equal(nets.keys.map((line) => line.key), ['policy.noise_pred_net.module.final_conv.1.weight', 'policy.noise_pred_net.module.final_conv.1.bias']);
  assert.is(nets.matched, 2);
  assert.is(nets.tensors, 398);
  assert.ok(renderInspectText(report).includes('2 keys match "*final_conv.1.*"'));
});

test('key patterns: * spans dots, ? is one character, plain text is a substring', () => {
  assert.ok(keyMatcher('policy.*.weight')('policy.a.b.weight'));
  assert.not.ok(keyMatcher('policy.*.weight')('policy.a.b.bias'));
  assert.ok(keyMatcher('layer.?.w')('layer.3.w'));
  assert.ok(keyMatcher('noise_pred')('policy.noise_pred_net.x'));
});

test('the CLI prints the tree as text and as JSON on stdout only', async () => {
  const text = await captureStdout(() => createCli(['inspect', DROID]).parseAsync());
  assert.ok(text.includes('state dict "model.ema": 398 tensors'), text.slice(0, 400));
  assert.ok(text.includes('algo_name: str (16 chars) "diffusion_policy"'));
  const json = JSON.parse(await captureStdout(() => createCli(['inspect', DROID, '--json', '--keys', 'policy.noise_pred_net.*']).parseAsync()));
  assert.is(json.format, 'torch-zip');
  assert.equal(json.tree.children.map((child: { key: string }) => child.key), ['model', 'config', 'algo_name', 'env_metadata', 'shape_metadata', 'action_normalization_stats']);
  assert.is(json.stateDicts[0].aliasGroups.length, 0, 'the UNet keys share no storage');
});

async function captureStdout(run: () => Promise<unknown>): Promise<string> {
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stdout.write;
  try {
    await run();
  } finally {
    process.stdout.write = write;
  }
  return out;
}

test.run();
