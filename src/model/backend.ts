/**
 * Chooses the TensorFlow.js backend the model runs on.
 *
 * `webgpu` is tfjs-backend-webgpu on Dawn (`webgpu-adapter.ts`): any GPU with a Vulkan, Metal or
 * D3D12 driver, and CPU drivers such as lavapipe for tests. `tensorflow` is the native binding
 * (`@tensorflow/tfjs-node-gpu`, else `@tensorflow/tfjs-node`), loaded dynamically because it cannot
 * be a hard dependency (its install downloads libtensorflow). `wasm` (XNNPACK) and `cpu` (plain JS)
 * always work. The model never relies on a kernel a backend lacks: convolution gradients are
 * computed by `ops.ts` from forward kernels every backend has (wasm has no Conv2DBackpropFilter).
 * Tensors are read back asynchronously everywhere (`data()`): webgpu in Node cannot read
 * synchronously (tfjs's `readSync` there goes through an OffscreenCanvas, which Node lacks).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import './wasm-kernels.ts';
import type { BackendChoice } from './backend-choice.ts';
import { UsageError } from '../usage-error.ts';

export type { BackendChoice } from './backend-choice.ts';

export interface SelectedBackend {
  /** The tfjs backend name now active (`webgpu`, `tensorflow`, `wasm`, `cpu`). */
  name: string;
  /** Why `auto` chose it, or a caveat about an explicit choice (a CPU WebGPU adapter); empty otherwise. */
  note: string;
}

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

/**
 * Returns the backend now active after selecting `choice`. `auto` takes webgpu on a GPU adapter,
 * else the native binding when installed, else wasm, saying why in `note`; a CPU WebGPU adapter is
 * used only when webgpu is asked for by name. An explicit backend that cannot run throws an error
 * that says what to install or which backend to use instead.
 */
export async function selectBackend(choice: BackendChoice): Promise<SelectedBackend> {
  if (choice === 'auto') return selectAuto();
  if (choice === 'webgpu') return selectWebGpu();
  if (choice === 'tensorflow') {
    if (!(await loadNative())) {
      throw new UsageError(
        'The "tensorflow" backend needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node; install one (npm install @tensorflow/tfjs-node) or use --backend wasm.',
      );
    }
  }
  await activate(choice);
  return { name: choice, note: '' };
}

async function selectAuto(): Promise<SelectedBackend> {
  const { probeWebGpu } = await import('./webgpu-adapter.ts');
  const probe = await probeWebGpu();
  if (probe.found && !probe.adapter.software) {
    await activateWebGpu();
    return { name: 'webgpu', note: `GPU adapter "${probe.adapter.description}"` };
  }
  const noGpu = probe.found ? `the only WebGPU adapter, "${probe.adapter.description}", runs on the CPU (--backend webgpu uses it anyway)` : probe.reason;
  if (await loadNative()) {
    await activate('tensorflow');
    return { name: 'tensorflow', note: `${noGpu}; using the TensorFlow native binding` };
  }
  await activate('wasm');
  return { name: 'wasm', note: `${noGpu}, and the TensorFlow native binding is not installed; using the wasm backend (slower)` };
}

async function selectWebGpu(): Promise<SelectedBackend> {
  const { probeWebGpu } = await import('./webgpu-adapter.ts');
  const probe = await probeWebGpu();
  if (!probe.found) {
    throw new UsageError(
      `The "webgpu" backend cannot run: ${probe.reason}. Install the GPU's Vulkan driver (on Linux without a GPU, Mesa's lavapipe, e.g. Mesa 25: apt-get install -t bookworm-backports mesa-vulkan-drivers on Debian 12) or use --backend wasm.`,
    );
  }
  await activateWebGpu();
  const note = probe.adapter.software ? `WebGPU adapter "${probe.adapter.description}" runs on the CPU: correct, but slower than wasm` : '';
  return { name: 'webgpu', note };
}

async function activateWebGpu(): Promise<void> {
  const { failOnDeviceErrors, registerWebGpuBackend } = await import('./webgpu-adapter.ts');
  await registerWebGpuBackend();
  await activate('webgpu');
  failOnDeviceErrors(tf.backend());
}

async function activate(name: string): Promise<void> {
  // tfjs's own console advice (install tfjs-node) is replaced by `note` above.
  tf.env().set('PROD', true);
  if (tf.getBackend() === name) return;
  const ok = await tf.setBackend(name);
  if (!ok) throw new UsageError(`The TensorFlow.js backend "${name}" failed to initialise.`);
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
