/**
 * Writes a small synthetic demonstration file in LIBERO's HDF5 layout (LIBERO
 * `scripts/create_dataset.py`: attributes on `data`, per-demo obs/actions/states, uint8 HWC
 * images), through h5wasm. Used by tests, the benchmark and the demo, so that training runs end to
 * end on a file this project wrote and real h5py can read.
 */
import { rename, rm } from 'node:fs/promises';
import { loadH5, type Group } from './h5.ts';
import { createRng } from '../random/rng.ts';

export interface SyntheticLiberoOptions {
  /** Steps per demo; `demo_i` gets `lengths[i]`. */
  lengths: number[];
  /** Square image side; LIBERO stores 128. */
  imageSize?: number;
  seed?: number;
  /** Optional `mask/<name>` lists of demo names (e.g. `{ train: [...], valid: [...] }`). */
  masks?: Record<string, string[]>;
  /** Scale of the actions' first six dimensions; > 1 makes them leave [-1, 1] (for error tests). */
  actionScale?: number;
}

/** Writes the file at `path` (atomically, via a temp name) and resolves when it is closed. */
export async function writeSyntheticLibero(path: string, options: SyntheticLiberoOptions): Promise<void> {
  const h5 = await loadH5();
  const size = options.imageSize ?? 128;
  const random = createRng(options.seed ?? 0).uniform;
  const temp = `${path}.tmp-${process.pid}`;
  const file = new h5.File(temp, 'w');
  try {
    const data = file.create_group('data');
    const total = options.lengths.reduce((a, b) => a + b, 0);
    const envArgs = {
      type: 1,
      env_name: 'Libero_Tabletop_Manipulation',
      problem_name: 'libero_tabletop_manipulation',
      bddl_file: 'synthetic/synthetic_task.bddl',
      env_kwargs: { robots: ['Panda'], controller_configs: { type: 'OSC_POSE' }, camera_heights: size, camera_widths: size, camera_names: ['robot0_eye_in_hand', 'agentview'], control_freq: 20 },
    };
    data.create_attribute('env_name', 'Libero_Tabletop_Manipulation');
    data.create_attribute('problem_info', JSON.stringify({ problem_name: 'libero_tabletop_manipulation', domain_name: 'synthetic', language_instruction: 'move the synthetic disc' }));
    data.create_attribute('macros_image_convention', 'opengl');
    data.create_attribute('bddl_file_name', 'synthetic/synthetic_task.bddl');
    data.create_attribute('bddl_file_content', '(define (problem synthetic))\n');
    data.create_attribute('env_args', JSON.stringify(envArgs));
    data.create_attribute('num_demos', BigInt64Array.of(BigInt(options.lengths.length)), [], '<q');
    data.create_attribute('total', BigInt64Array.of(BigInt(total)), [], '<q');
    options.lengths.forEach((length, i) => writeDemo(data.create_group(`demo_${i}`), length, size, random, options.actionScale ?? 1));
    if (options.masks) {
      const mask = file.create_group('mask');
      for (const [name, demos] of Object.entries(options.masks)) {
        const width = Math.max(1, ...demos.map((d) => d.length));
        mask.create_dataset({ name, data: demos, shape: [demos.length], dtype: `S${width}` });
      }
    }
  } catch (error) {
    file.close();
    await rm(temp, { force: true });
    throw error;
  }
  file.close();
  await rename(temp, path);
}

function writeDemo(group: Group, length: number, size: number, random: () => number, actionScale: number): void {
  const phase = random() * Math.PI * 2;
  const actions = new Float64Array(length * 7);
  for (let t = 0; t < length; t++) {
    for (let d = 0; d < 6; d++) actions[t * 7 + d] = actionScale * 0.8 * Math.sin(phase + 0.3 * t + d);
    actions[t * 7 + 6] = t < length / 2 ? -1 : 1;
  }
  const eePos = lowDim(length, 3, (t, d) => 0.1 * Math.cos(phase + 0.2 * t + d));
  const eeOri = lowDim(length, 3, (t, d) => 0.5 * Math.sin(phase + 0.1 * t + d));
  const gripper = lowDim(length, 2, (t, d) => (d === 0 ? 1 : -1) * (t < length / 2 ? 0.04 : 0.0));
  const joints = lowDim(length, 7, (t, d) => Math.sin(phase + 0.05 * t * (d + 1)));
  const eeStates = lowDim(length, 6, (t, d) => (d < 3 ? eePos[t * 3 + d]! : eeOri[t * 3 + d - 3]!));
  group.create_attribute('num_samples', BigInt64Array.of(BigInt(length)), [], '<q');
  group.create_attribute('model_file', '<mujoco model="synthetic"/>');
  group.create_attribute('init_state', Float64Array.from({ length: 47 }, () => random()), [47], '<d');
  const obs = group.create_group('obs');
  obs.create_dataset({ name: 'agentview_rgb', data: images(length, size, phase, random, 0), shape: [length, size, size, 3], dtype: '<B' });
  obs.create_dataset({ name: 'eye_in_hand_rgb', data: images(length, size, phase + 1, random, 1), shape: [length, size, size, 3], dtype: '<B' });
  obs.create_dataset({ name: 'ee_pos', data: eePos, shape: [length, 3], dtype: '<d' });
  obs.create_dataset({ name: 'ee_ori', data: eeOri, shape: [length, 3], dtype: '<d' });
  obs.create_dataset({ name: 'ee_states', data: eeStates, shape: [length, 6], dtype: '<d' });
  obs.create_dataset({ name: 'gripper_states', data: gripper, shape: [length, 2], dtype: '<d' });
  obs.create_dataset({ name: 'joint_states', data: joints, shape: [length, 7], dtype: '<d' });
  group.create_dataset({ name: 'actions', data: actions, shape: [length, 7], dtype: '<d' });
  group.create_dataset({ name: 'states', data: lowDim(length, 47, () => random()), shape: [length, 47], dtype: '<d' });
  group.create_dataset({ name: 'robot_states', data: lowDim(length, 9, (t, d) => joints[t * 7 + (d % 7)]!), shape: [length, 9], dtype: '<d' });
  group.create_dataset({ name: 'rewards', data: Uint8Array.from({ length }, (_, t) => (t === length - 1 ? 1 : 0)), shape: [length], dtype: '<B' });
  group.create_dataset({ name: 'dones', data: Uint8Array.from({ length }, (_, t) => (t === length - 1 ? 1 : 0)), shape: [length], dtype: '<B' });
}

function lowDim(length: number, dim: number, value: (t: number, d: number) => number): Float64Array {
  const out = new Float64Array(length * dim);
  for (let t = 0; t < length; t++) for (let d = 0; d < dim; d++) out[t * dim + d] = value(t, d);
  return out;
}

/** Gradient background, a disc that moves with the step (so frames carry the time), and noise. */
function images(length: number, size: number, phase: number, random: () => number, camera: number): Uint8Array {
  const out = new Uint8Array(length * size * size * 3);
  for (let t = 0; t < length; t++) {
    const cx = size * (0.5 + 0.3 * Math.cos(phase + 0.3 * t));
    const cy = size * (0.5 + 0.3 * Math.sin(phase + 0.3 * t));
    const r2 = (size / 8) ** 2;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const inDisc = (x - cx) ** 2 + (y - cy) ** 2 < r2;
        const base = ((t * size + y) * size + x) * 3;
        out[base] = inDisc ? 230 : Math.floor((255 * x) / size);
        out[base + 1] = inDisc ? 40 : Math.floor((255 * y) / size);
        out[base + 2] = inDisc ? 40 + 150 * camera : Math.floor(64 + 32 * random());
      }
    }
  }
  return out;
}

