/**
 * The DROID encoder's module type, `VisualCore(ResNet50Conv)` with Bottleneck blocks and GroupNorm,
 * against the real fork module fixture: state-dict keys and aliases, then every recorded layer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isDict } from '../../src/checkpoint/py-value.ts';
import type { Tensor } from '../../src/checkpoint/types.ts';
import { selectBackend } from '../../src/model/backend.ts';
import type { RgbEncoderSpec } from '../../src/model/config.ts';
import { visualCoreForward } from '../../src/model/encoder.ts';
import { visualCoreSchema } from '../../src/model/schema.ts';
import { weightsFromStateDict, type TorchTensor } from '../../src/model/weights.ts';
import { assertClose, Reference, SINGLE_PASS_REL } from './reference.ts';

// README §8: planes 16 in every stage (stage outputs 64), no pool, flatten, Linear(256, 64).
const RGB: RgbEncoderSpec = { backbone: 'ResNet50Conv', stem: 16, planes: [16, 16, 16, 16], pool: null, featureDim: 64, color: null, crop: null, randomizerOrder: [] };

test('VisualCore(ResNet50Conv) matches the fork fixture key by key and layer by layer', async () => {
  await selectBackend('wasm');
  const ref = await Reference.open('fork_resnet50conv_visualcore_tiny.parity.pth');
  const input = await ref.tensor(['input_tensor']);
  const schema = visualCoreSchema(RGB, input.shape.slice(1));
  const sd = ref.value(['state_dict']);
  assert.ok(isDict(sd));
  assert.equal(schema.entries.map((e) => e.key), [...sd.entries.keys()]);
  const tensors = new Map<string, TorchTensor>();
  for (const [key, value] of sd.entries) {
    assert.equal(schema.byKey.get(String(key))!.shape, (value as Tensor).shape, String(key));
    tensors.set(String(key), await ref.tensor(['state_dict', String(key)]));
  }
  const weights = weightsFromStateDict(schema, tensors, false);
  const taps = new Map<string, tf.Tensor>();
  const out = tf.tidy(() => {
    const x = tf.transpose(tf.tensor4d(input.data, input.shape as [number, number, number, number]), [0, 2, 3, 1]) as tf.Tensor4D;
    return visualCoreForward(RGB, (k) => weights.tensors[schema.byKey.get(k)!.id]!, x, (name, t) => taps.set(name, tf.keep(t)));
  });
  await assertClose(out, await ref.tensor(['output']), SINGLE_PASS_REL, 'output');
  const activations = ref.value(['activations']);
  assert.ok(isDict(activations));
  for (const name of activations.entries.keys()) {
    const t = taps.get(String(name));
    assert.ok(t, `no activation ${String(name)}`);
    const got = t.rank === 4 ? tf.transpose(t, [0, 3, 1, 2]) : t;
    await assertClose(got, await ref.tensor(['activations', String(name)]), SINGLE_PASS_REL, String(name));
    if (got !== t) got.dispose();
  }
  tf.dispose([out, ...taps.values(), ...weights.tensors]);
});

test.run();
