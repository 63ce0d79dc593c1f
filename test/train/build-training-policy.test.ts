/** `train --remap`: a remap that is unreadable or has errors stops the run before any weight exists, saying where. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../src/input-error.ts';
import { validatePolicyConfig } from '../../src/model/config.ts';
import { buildTrainingPolicy } from '../../src/train/build-training-policy.ts';
import type { TrainConfig } from '../../src/train/train-config.ts';
import { tinyConfigJson } from './tiny-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-build-training-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a --remap with an error is an InputError on the file, with the line:column and the code frame of the error', async () => {
  const remap = join(dir, 'hints.remap');
  // A lone \r ends line 1, as the lexer and every report count lines.
  writeFileSync(remap, 'version 1\rfreeze policy.obs_encoder.*\nlr x2 policy.noise_pred_net.*[\n');
  const config = validatePolicyConfig(JSON.stringify(tinyConfigJson(false)), 'tiny.json').config;
  try {
    // The remap is read first: nothing of the train config is needed before it fails.
    await buildTrainingPolicy({ config, train: {} as TrainConfig, options: { remap, load: 'strict', resume: false }, out: dir });
    assert.unreachable('should throw');
  } catch (error) {
    assert.instance(error, InputError);
    const { file, detail } = error as InputError;
    assert.is(file, remap);
    const [head, located, , frameLine] = detail.split('\n');
    assert.is(head, `has errors (\`surgery check ${remap}\` lists them all):`);
    assert.match(located!, new RegExp(`^${remap.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: error: `));
    assert.match(frameLine ?? detail, /lr x2 policy\.noise_pred_net/);
  }
});

test('a --remap that cannot be read is remap/unreadable, as for plan, check and fmt', async () => {
  const config = validatePolicyConfig(JSON.stringify(tinyConfigJson(false)), 'tiny.json').config;
  const remap = join(dir, 'missing.remap');
  try {
    await buildTrainingPolicy({ config, train: {} as TrainConfig, options: { remap, load: 'strict', resume: false }, out: dir });
    assert.unreachable('should throw');
  } catch (error) {
    assert.instance(error, InputError);
    assert.is((error as InputError).code, 'remap/unreadable');
    assert.is((error as InputError).file, remap);
  }
});

test.run();
