/**
 * Dawn's Node binding (the `webgpu` package) as the WebGPU implementation for
 * `@tensorflow/tfjs-backend-webgpu`. Both are loaded only here and only on demand: Dawn opens the
 * Vulkan/Metal/D3D driver when it starts, which no command that does not run the model should pay.
 */
import type { create } from 'webgpu';
import { UsageError } from '../usage-error.ts';

type Gpu = ReturnType<typeof create>;

/** The adapter Dawn offers for high-performance compute. */
export interface WebGpuAdapter {
  /** Driver and device, e.g. `llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)` or `NVIDIA GeForce RTX 4090`. */
  description: string;
  /** A CPU implementation (lavapipe/llvmpipe, SwiftShader): correct, but slower than wasm. */
  software: boolean;
}

export type WebGpuProbe = { found: true; adapter: WebGpuAdapter } | { found: false; reason: string };

let gpu: Gpu | undefined;
let probed: Promise<WebGpuProbe> | undefined;

/** Returns the adapter tfjs-backend-webgpu would use, or why there is none; probes once per process. */
export function probeWebGpu(): Promise<WebGpuProbe> {
  probed ??= probe();
  return probed;
}

async function probe(): Promise<WebGpuProbe> {
  let adapter: GPUAdapter | null;
  try {
    gpu ??= await createGpu();
    // The same request tfjs-backend-webgpu makes, so the probed adapter is the one it will get.
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return { found: false, reason: `Dawn (the "webgpu" package) could not start: ${(error as Error).message}` };
  }
  if (!adapter) return { found: false, reason: 'no WebGPU adapter found (no GPU, or no Vulkan driver for it)' };
  return { found: true, adapter: describeAdapter(adapter.info) };
}

async function createGpu(): Promise<Gpu> {
  const { create, globals } = await import('webgpu');
  // tfjs-backend-webgpu reads the WebGPU enums (GPUBufferUsage, GPUMapMode, ...) as globals.
  for (const [name, value] of Object.entries(globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  return create([]);
}

function describeAdapter(info: GPUAdapterInfo): WebGpuAdapter {
  const description = info.description || [info.vendor, info.device].filter(Boolean).join(' ') || 'unnamed adapter';
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
  const software = (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader|\bsoftware\b/i.test(text);
  return { description, software };
}

/**
 * Registers tfjs's `webgpu` backend on Dawn. tfjs-backend-webgpu registers itself on import only
 * where `navigator.gpu` exists, so that comes first; Node ≥ 21 has a `navigator` of its own.
 * Calling it again is harmless (the import is cached).
 */
export async function registerWebGpuBackend(): Promise<void> {
  const result = await probeWebGpu();
  if (!result.found) throw new UsageError(result.reason);
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
}

/**
 * Makes the first WebGPU validation or out-of-memory error of the active tfjs `webgpu` backend end
 * the process. Dawn otherwise only logs it, and the failed kernel's output reads back as zeros:
 * wrong numbers, silently.
 */
export function failOnDeviceErrors(backend: object): void {
  const { device } = backend as { device: GPUDevice };
  device.onuncapturederror = (event) => {
    device.onuncapturederror = null;
    const message = event.error.message.trim().split('\n')[0];
    const error = new Error(`A WebGPU kernel failed, so its results would be wrong (a bug; --backend wasm avoids it): ${message}`);
    // Thrown outside Dawn's callback, where it is an uncaught exception rather than a swallowed one.
    setImmediate(() => {
      throw error;
    });
  };
}

