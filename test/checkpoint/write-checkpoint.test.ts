/**
 * Writing is atomic and safe: the input is never overwritten (also through a hard link), a failed
 * write leaves neither the destination nor a temp file, and a process killed mid-write leaves no
 * file at the destination.
 */
import { spawn } from 'node:child_process';
import { existsSync, linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../src/input-error.ts';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import { writeCheckpoint } from '../../src/checkpoint/write-checkpoint.ts';
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

test('a process killed mid-write leaves no file at the destination', async () => {
  // A 512 MiB sparse safetensors source, so the copy takes long enough to be interrupted.
  const source = join(dir, 'big.safetensors');
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [128, 1024, 1024], data_offsets: [0, 512 * 1024 * 1024] } }).padEnd(96));
  const handle = await open(source, 'w');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(header.length));
  await handle.write(Buffer.concat([prefix, header]));
  await handle.truncate(8 + header.length + 512 * 1024 * 1024);
  await handle.close();
  const output = join(dir, 'killed.pth');
  const script = `const { convertCheckpoint } = await import(${JSON.stringify(new URL('../../src/checkpoint/convert-checkpoint.ts', import.meta.url).href)});
await convertCheckpoint(${JSON.stringify(source)}, ${JSON.stringify(output)});`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const started = Date.now();
  while (!readdirSync(dir).some((name) => name.startsWith('.killed.pth.') && statSync(join(dir, name)).size > 0)) {
    assert.ok(Date.now() - started < 20_000, 'the child started writing');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  child.kill('SIGKILL');
  await exited;
  assert.not.ok(existsSync(output), 'nothing at the destination');
  for (const name of readdirSync(dir).filter((entry) => entry.includes('surgery-tmp'))) rmSync(join(dir, name));
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
