/**
 * Access to a WebGPU adapter for the webgpu backend's tests: a GPU, or a CPU Vulkan driver (Mesa's
 * lavapipe; `.ci/run` installs Mesa 25 from bookworm-backports, as Debian 12's own 22.3 lacks
 * features Dawn requires).
 *
 * Where Dawn finds no adapter, webgpu tests skip loudly; with SURGERY_REQUIRE_WEBGPU=1 (set by
 * `.ci/run`) they fail instead, so CI can never pass without having run them.
 */
import { probeWebGpu } from '../../src/model/webgpu-adapter.ts';

/** Whether webgpu tests should run; throws when webgpu is required but no adapter exists. */
export const hasWebGpu: boolean = await (async () => {
  const probe = await probeWebGpu();
  if (!probe.found && process.env.SURGERY_REQUIRE_WEBGPU === '1') {
    throw new Error(`WebGPU tests are required (SURGERY_REQUIRE_WEBGPU=1) but ${probe.reason}. Install a Vulkan driver, e.g. apt-get install -t bookworm-backports mesa-vulkan-drivers`);
  }
  if (!probe.found) console.warn(`\n!!! SKIPPING WebGPU tests: ${probe.reason} (apt-get install -t bookworm-backports mesa-vulkan-drivers) !!!\n`);
  return probe.found;
})();
