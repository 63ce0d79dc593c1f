/** Backend selection: explicit backends, `auto`'s choice and note, and clear errors when a backend cannot run. */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { selectBackend } from '../../src/model/backend.ts';
import { probeWebGpu } from '../../src/model/webgpu-adapter.ts';
import { UsageError } from '../../src/usage-error.ts';
import { hasWebGpu } from '../support/webgpu.ts';

const nativeInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();
const probe = await probeWebGpu();
const gpuAdapter = probe.found && !probe.adapter.software;

test('cpu and wasm can be selected explicitly', async () => {
  assert.equal(await selectBackend('cpu'), { name: 'cpu', note: '' });
  assert.is(tf.getBackend(), 'cpu');
  assert.equal(await selectBackend('wasm'), { name: 'wasm', note: '' });
  assert.is(tf.getBackend(), 'wasm');
});

if (!nativeInstalled && !gpuAdapter) {
  test('auto falls back to wasm and says why; tensorflow without the binding says how to install it', async () => {
    const auto = await selectBackend('auto');
    assert.is(auto.name, 'wasm');
    assert.match(auto.note, /native binding is not installed; using the wasm backend/);
    // A CPU adapter is never auto's choice, and the note says how to use it anyway.
    if (probe.found) assert.match(auto.note, /runs on the CPU \(--backend webgpu uses it anyway\)/);
    try {
      await selectBackend('tensorflow');
      assert.unreachable('should throw');
    } catch (error) {
      // The user's choice, not a bug: the CLI prints one line and exits 2.
      assert.instance(error, UsageError);
      assert.match((error as Error).message, /npm install @tensorflow\/tfjs-node/);
    }
  });
}

if (hasWebGpu) {
  test('webgpu can be selected explicitly, runs a float32 kernel, and notes a CPU adapter', async () => {
    const selected = await selectBackend('webgpu');
    assert.is(selected.name, 'webgpu');
    assert.is(tf.getBackend(), 'webgpu');
    if (probe.found && probe.adapter.software) assert.match(selected.note, /runs on the CPU: correct, but slower than wasm/);
    // 1 + 2^-23 survives only in float32 (a float16 path would round it to 1). 4096 elements, as
    // tfjs runs ops on tensors under 1000 elements that are still on the host on the CPU.
    const sum = tf.tidy(() => tf.add(tf.fill([4096], 1), tf.fill([4096], 2 ** -23)));
    assert.ok((await sum.data()).every((v) => v === 1 + 2 ** -23));
    sum.dispose();
    await selectBackend('wasm');
  });
} else {
  test('webgpu without an adapter is an error that says what to install', async () => {
    try {
      await selectBackend('webgpu');
      assert.unreachable('should throw');
    } catch (error) {
      assert.instance(error, UsageError);
      assert.match((error as Error).message, /The "webgpu" backend cannot run: .*mesa-vulkan-drivers.* or use --backend wasm/);
    }
  });
}

test.run();
