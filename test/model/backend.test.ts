/** Backend selection: explicit backends, `auto`'s fallback note, and a clear error when the native binding is absent. */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { selectBackend } from '../../src/model/backend.ts';

const nativeInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();

test('cpu and wasm can be selected explicitly', async () => {
  assert.equal(await selectBackend('cpu'), { name: 'cpu', note: '' });
  assert.is(tf.getBackend(), 'cpu');
  assert.equal(await selectBackend('wasm'), { name: 'wasm', note: '' });
  assert.is(tf.getBackend(), 'wasm');
});

if (!nativeInstalled) {
  test('auto falls back to wasm and says why; tensorflow without the binding says how to install it', async () => {
    const auto = await selectBackend('auto');
    assert.is(auto.name, 'wasm');
    assert.match(auto.note, /native binding not installed/);
    try {
      await selectBackend('tensorflow');
      assert.unreachable('should throw');
    } catch (error) {
      assert.match((error as Error).message, /npm install @tensorflow\/tfjs-node/);
    }
  });
}

test.run();
