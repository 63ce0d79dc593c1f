/**
 * State-dict schemas against the real robomimic checkpoints (keys in order, shapes, which keys share
 * a storage) and against the full-size key/shape listings, built without allocating weights.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import { validatePolicyConfig } from '../../src/model/config.ts';
import { policyConfigOf } from '../../src/model/load-policy.ts';
import { policySchema } from '../../src/model/schema.ts';
import { TINY } from './reference.ts';
import { REFERENCE_DIR } from '../support/reference.ts';

for (const name of TINY) {
  test(`${name}: model.nets and model.ema keys, order, shapes and alias groups equal the checkpoint's`, async () => {
    const ckpt = await openCheckpoint(`${REFERENCE_DIR}${name}.ckpt.pth`);
    const { config } = policyConfigOf(ckpt);
    const schema = policySchema(config);
    for (const which of ['model.nets', 'model.ema']) {
      const sd = ckpt.stateDicts.find((s) => s.name === which)!;
      assert.equal(schema.entries.map((e) => e.key), [...sd.tensors.keys()], `${which} keys`);
      for (const { key, param } of schema.entries) assert.equal(param.shape, sd.tensors.get(key)!.shape, key);
      // Aliasing is storage identity: keys share a storage exactly when they share a parameter.
      const groupsOf = (ids: (k: string) => unknown) => {
        const groups = new Map<unknown, string[]>();
        for (const key of sd.tensors.keys()) groups.set(ids(key), [...(groups.get(ids(key)) ?? []), key]);
        return [...groups.values()].map((g) => g.join('|')).sort();
      };
      assert.equal(groupsOf((k) => schema.byKey.get(k)!.id), groupsOf((k) => sd.tensors.get(k)!.storage), `${which} alias groups`);
    }
  });
}

test('EMA and nets share no storage in the reference checkpoints (kept apart)', async () => {
  const ckpt = await openCheckpoint(`${REFERENCE_DIR}fork_droid_tiny.ckpt.pth`);
  const nets = new Set([...ckpt.stateDicts.find((s) => s.name === 'model.nets')!.tensors.values()].map((t) => t.storage));
  for (const t of ckpt.stateDicts.find((s) => s.name === 'model.ema')!.tensors.values()) assert.not.ok(nets.has(t.storage));
});

const FULL_SIZE = [
  { tsv: 'droid_nets.tsv', config: 'droid_rlds_config.json', shapes: {}, params: 122.0e6 },
  { tsv: 'libero_nets.tsv', config: 'libero_config.json', shapes: {}, params: 162.3e6 },
  // Upstream configs record no image size (robomimic takes it from the dataset), so 128×128 is assumed, and said.
  { tsv: 'libero_upstream_nets.tsv', config: 'libero_upstream_config.json', shapes: { acDim: 7 }, params: 175.4e6, warns: /^observation\.image_dim is not set/ },
];

for (const f of FULL_SIZE) {
  test(`full size ${f.config}: schema equals full_size/${f.tsv} (keys, order, shapes, dtype)`, () => {
    const path = `${REFERENCE_DIR}full_size/${f.config}`;
    const { config, warnings } = validatePolicyConfig(readFileSync(path, 'utf8'), path, f.shapes);
    if (f.warns) assert.ok(warnings.length === 1 && f.warns.test(warnings[0]!), `only the image-size warning: ${warnings.join(' | ')}`);
    else assert.equal(warnings, [], 'the full-size configs record what robomimic builds');
    const schema = policySchema(config);
    const rows = readFileSync(`${REFERENCE_DIR}full_size/${f.tsv}`, 'utf8').trim().split('\n').map((l) => l.split('\t'));
    assert.equal(schema.entries.map((e) => e.key), rows.map((r) => r[0]));
    schema.entries.forEach(({ param }, i) => assert.is(param.shape.join('x'), rows[i]![1], rows[i]![0]));
    assert.ok(rows.every((r) => r[2] === 'float32'));
    const unique = schema.params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
    assert.ok(Math.abs(unique - f.params) < 0.05e6, `${unique} distinct parameters`);
  });
}

test.run();
