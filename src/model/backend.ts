/**
 * Chooses the TensorFlow.js backend the model runs on.
 *
 * `tensorflow` is the native binding (`@tensorflow/tfjs-node-gpu`, else `@tensorflow/tfjs-node`),
 * loaded dynamically because it cannot be a hard dependency (its install downloads libtensorflow).
 * `wasm` (XNNPACK) and `cpu` (plain JS) always work. The model never relies on a kernel a backend
 * lacks: convolution gradients are computed by `ops.ts` from forward kernels every backend has
 * (the wasm backend has no Conv2DBackpropFilter).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface SelectedBackend {
  /** The tfjs backend name now active (`tensorflow`, `wasm`, `cpu`). */
  name: string;
  /** Why it is not the one asked for, when `auto` fell back; empty otherwise. */
  note: string;
}

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

/**
 * Returns the backend now active after selecting `choice`. `auto` takes the native binding when
 * installed and otherwise wasm, saying so in `note`; an explicit `tensorflow` without the binding
 * throws an error that says how to install it.
 */
export async function selectBackend(choice: BackendChoice): Promise<SelectedBackend> {
  if (choice === 'tensorflow' || choice === 'auto') {
    const loaded = await loadNative();
    if (loaded) {
      await activate('tensorflow');
      return { name: 'tensorflow', note: '' };
    }
    if (choice === 'tensorflow') {
      throw new Error(
        'The "tensorflow" backend needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node; install one (npm install @tensorflow/tfjs-node) or use --backend wasm.',
      );
    }
    await activate('wasm');
    return { name: 'wasm', note: 'TensorFlow native binding not installed; using the wasm backend (slower).' };
  }
  await activate(choice);
  return { name: choice, note: '' };
}

async function activate(name: string): Promise<void> {
  // tfjs's own console advice (install tfjs-node) is replaced by `note` above.
  tf.env().set('PROD', true);
  if (tf.getBackend() === name) return;
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`The TensorFlow.js backend "${name}" failed to initialise.`);
  await tf.ready();
}

async function loadNative(): Promise<boolean> {
  for (const pkg of NATIVE_PACKAGES) {
    try {
      await import(pkg);
      if (tf.findBackend('tensorflow')) return true;
    } catch {
      // Not installed: try the next one.
    }
  }
  return false;
}
