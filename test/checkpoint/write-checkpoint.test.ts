/**
 * Writing is atomic and safe: the input is never overwritten (also through a hard link) and a failed
 * write leaves neither the destination nor a temp file (write-atomically.test.ts kills, fills
 * and races writes).
 */
import { existsSync, linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../src/input-error.ts';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import { formatForPath, writeCheckpoint } from '../../src/checkpoint/write-checkpoint.ts';
import { convertCheckpoint } from '../../src/checkpoint/convert-checkpoint.ts';
import { createCli } from '../../src/cli/create-cli.ts';
import { loadEverything } from '../support/checkpoint-fuzz.ts';
import { writeSmallCheckpoint } from '../support/checkpoint-bytes.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-write-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, InputError);
    assert.is((error as InputError).code, code);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

test('the format follows the extension in any case: .safetensors, else a torch zip', () => {
  assert.equal(['a.safetensors', 'OUT.SAFETENSORS', 'a.pth', 'a.safetensors.pth', 'safetensors'].map(formatForPath), ['safetensors', 'safetensors', 'torch-zip', 'torch-zip', 'torch-zip']);
});

test('the input is never overwritten, by path or through a hard link', async () => {
  const input = join(dir, 'input.pth');
  await writeSmallCheckpoint(input);
  const before = readFileSync(input);
  const checkpoint = await openCheckpoint(input);
  await expectCode(writeCheckpoint(input, checkpoint.root, { format: 'torch-zip' }), 'output/overwrites-input');
  const link = join(dir, 'link.pth');
  linkSync(input, link);
  await expectCode(writeCheckpoint(link, checkpoint.root, { format: 'torch-zip' }), 'output/overwrites-input');
  await expectCode(convertCheckpoint(input, input), 'output/overwrites-input');
  assert.equal(readFileSync(input), before);
});

test('a write that fails midway leaves no destination and no temp file', async () => {
  const input = join(dir, 'shrinking.pth');
  await writeSmallCheckpoint(input);
  const checkpoint = await openCheckpoint(input);
  const source = checkpoint.stateDicts[0]!.tensors.get('w')!.storage.source;
  assert.is(source.kind, 'file');
  truncateSync(input, (await (source as { offset: () => Promise<number> }).offset()) + 4); // the source loses storage bytes after opening
  const output = join(dir, 'failed.pth');
  await expectCode(writeCheckpoint(output, checkpoint.root, { format: 'torch-zip' }), 'format/truncated');
  assert.not.ok(existsSync(output));
  assert.equal(readdirSync(dir).filter((name) => name.includes('surgery-tmp')), []);
});

test('convert writes safetensors from a tree only for a named state dict, and back to torch zip', async () => {
  const input = join(dir, 'tree.pth');
  await writeSmallCheckpoint(input);
  await expectCode(convertCheckpoint(input, join(dir, 'tree.safetensors')), 'convert/choose-state-dict');
  const result = await convertCheckpoint(input, join(dir, 'nets.safetensors'), { stateDict: 'model.nets' });
  assert.equal([result.format, result.stateDict], ['safetensors', 'model.nets']);
  const safetensors = await openCheckpoint(join(dir, 'nets.safetensors'));
  assert.equal([...safetensors.stateDicts[0]!.tensors.keys()], ['w', 'alias', 'row', 'b']);
  assert.is(await loadEverything(join(dir, 'nets.safetensors')), 4, 'aliases become separate copies');
  await convertCheckpoint(join(dir, 'nets.safetensors'), join(dir, 'back.pth'));
  assert.is((await openCheckpoint(join(dir, 'back.pth'))).format, 'torch-zip');
});

test('the convert CLI writes the file and says what it wrote', async () => {
  const input = join(dir, 'cli-in.pth');
  await writeSmallCheckpoint(input);
  const output = join(dir, 'cli-out.safetensors');
  const write = process.stdout.write.bind(process.stdout);
  let printed = '';
  process.stdout.write = ((chunk: string) => ((printed += chunk), true)) as typeof process.stdout.write;
  try {
    await createCli(['convert', input, output, '--state-dict', 'model.nets']).parseAsync();
  } finally {
    process.stdout.write = write;
  }
  assert.match(printed, /^wrote .*cli-out\.safetensors: safetensors, state dict "model\.nets", \d+ B\n$/);
  assert.is((await openCheckpoint(output)).format, 'safetensors');
});

test.run();
