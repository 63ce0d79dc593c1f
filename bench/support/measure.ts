/**
 * Measuring for the benchmarks: run a command as its own process under `/usr/bin/time`, keep the
 * best of several runs, and print our figures as ratios of a baseline's.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';

/** One process run: wall and CPU seconds, peak resident memory, and what it printed. */
export interface Measured {
  seconds: number;
  cpuSeconds: number;
  peakMiB: number;
  stdout: string;
}

/**
 * Returns wall seconds, CPU seconds, peak RSS (MiB) and stdout of `command args` run under
 * `/usr/bin/time` (in `env`, default this process's); throws with its stderr when it fails. Dirty
 * pages are flushed first, so no run pays for the writeback of the file the previous run wrote.
 */
export function measure(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Measured {
  execFileSync('sync');
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', command, ...args], { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status}):\n${result.stderr}`);
  // The last stderr line is time's; the command's own stderr comes before it.
  const [seconds, kib, user, system] = result.stderr.trim().split('\n').at(-1)!.split(' ').map(Number) as [number, number, number, number];
  return { seconds, cpuSeconds: user + system, peakMiB: kib / 1024, stdout: result.stdout.trim() };
}

/**
 * Returns the fastest run's times with the highest peak memory seen over all runs (a noisy machine
 * only ever slows a run down; peak memory does not depend on load, so the worst is the honest one).
 */
function bestOf(runs: Measured[]): Measured {
  const fastest = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  return { ...fastest, cpuSeconds: Math.min(...runs.map((run) => run.cpuSeconds)), peakMiB: Math.max(...runs.map((run) => run.peakMiB)) };
}

/**
 * Runs each named command `rounds` times, rotating their order each round so no one always runs
 * first (cold cache) or last; returns the best of each by name.
 */
export function measureRounds<Name extends string>(rounds: number, commands: Record<Name, () => Measured>): Record<Name, Measured> {
  const names = Object.keys(commands) as Name[];
  const runs = new Map<Name, Measured[]>(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length]!;
      runs.get(name)!.push(commands[name]());
    }
  }
  return Object.fromEntries(names.map((name) => [name, bestOf(runs.get(name)!)])) as Record<Name, Measured>;
}

/** Returns one table row: label, wall, CPU and peak RSS. */
export function formatRow(label: string, run: Measured): string {
  return `    ${label.padEnd(40)} ${run.seconds.toFixed(2).padStart(6)} s ${run.cpuSeconds.toFixed(2).padStart(6)} s ${run.peakMiB.toFixed(0).padStart(6)} MiB`;
}

/** Returns the header line for {@link formatRow} rows. */
export function formatHeader(title: string): string {
  return `${title.padEnd(44)}   wall      CPU   peak RSS`;
}

/** Returns `ours / baseline` wall, CPU and peak-memory ratios, next to the targets. */
export function formatRatio(label: string, ours: Measured, baseline: Measured): string {
  const ratio = (a: number, b: number) => (a / b).toFixed(3);
  return `    ${label.padEnd(40)} wall ${ratio(ours.seconds, baseline.seconds)} (target ≤ 0.5), peak memory ${ratio(ours.peakMiB, baseline.peakMiB)} (target ≤ 0.15), CPU ${ratio(ours.cpuSeconds, baseline.cpuSeconds)}`;
}

/** Returns the load averages and CPU count: the context every figure from a shared machine needs. */
export function describeLoad(): string {
  return `load average ${loadavg().map((load) => load.toFixed(2)).join(' ')} on ${cpus().length} CPUs`;
}
