/**
 * Access to real PyTorch for interop tests: Debian's `python3-torch`, run through `/usr/bin/python3`
 * (the `python3` on PATH is another interpreter without torch).
 *
 * Where torch is missing, interop tests skip loudly; with SURGERY_REQUIRE_TORCH=1 (set by `.ci/run`)
 * they fail instead, so CI can never pass without having run them.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export const SYSTEM_PYTHON = '/usr/bin/python3';

function probeTorch(): boolean {
  const probe = spawnSync(SYSTEM_PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
  return probe.status === 0;
}

/** Whether interop tests should run; throws when torch is required but absent. */
export const hasTorch: boolean = (() => {
  const available = probeTorch();
  if (!available && process.env.SURGERY_REQUIRE_TORCH === '1') {
    throw new Error(`PyTorch interop tests are required (SURGERY_REQUIRE_TORCH=1) but ${SYSTEM_PYTHON} cannot import torch. Install it with: apt-get install -y python3-torch`);
  }
  if (!available) {
    console.warn(`\n!!! SKIPPING PyTorch interop tests: ${SYSTEM_PYTHON} cannot import torch (apt-get install -y python3-torch) !!!\n`);
  }
  return available;
})();

/** Runs a Python script under the system interpreter and returns its stdout; throws with stderr on failure. */
export function runPython(script: string, args: string[] = []): string {
  return execFileSync(SYSTEM_PYTHON, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}
