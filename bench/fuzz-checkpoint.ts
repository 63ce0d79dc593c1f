/**
 * The standing fuzz run of the readers (issue 13); test/checkpoint/fuzz.test.ts is its suite-sized
 * sample. In-process: random mutations of small valid checkpoints (bit flips, truncations, lying
 * zip fields, shuffled pickle bytes); every hostile case of test/support/checkpoint-fuzz-hostile.ts
 * (CPython-made payloads whose execution would create a marker file, unknown globals, nesting,
 * memo abuse, lying lengths, 1 MB opcodes, non-UTF-8 strings, broken compressed or duplicated zip
 * members, lying safetensors headers); cuts at every 5% and MUTANTS byte-flip mutants each of the
 * real robomimic checkpoint and of a safetensors file; garbage remaps. Then a sample through the
 * built CLI process (`inspect`, `check`), checking exit codes (3; remaps 1), that stderr names the
 * file and that no stack trace is printed.
 *
 * Prints counts per section and per error code, the worst time and memory (peak RSS and the largest
 * rise in one case), executions (marker files; CPython's own pickle.load of one payload is the
 * control) and hangs: the run happens in a child process that a watchdog kills when a case makes no
 * progress for HANG_MS. Exits 1 on any uncaught exception, accepted hostile case, unexpected exit
 * code, stack trace, execution, slow case or hang.
 *
 *   npm run build && node --import tsx bench/fuzz-checkpoint.ts [mutants=1000] [random=10000] [seed=1]
 */
import { fork, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeRemap } from '../grammar/index.ts';
import { convertCheckpoint } from '../src/checkpoint/convert-checkpoint.ts';
import { readRemapSource } from '../src/remap-check/read-remap-source.ts';
import { flipBytes, mutate, runFuzzCase, seededRandom, type FuzzOutcome } from '../test/support/checkpoint-fuzz.ts';
import { makeFuzzBases } from '../test/support/checkpoint-fuzz-bases.ts';
import { executeWithCPython, garbageRemaps, makeHostileCases, type HostileCase } from '../test/support/checkpoint-fuzz-hostile.ts';
import { REFERENCE_DIR } from '../test/support/reference.ts';
import { builtCli } from './support/built-cli.ts';

const mutants = Number(process.argv[2] ?? 1000);
const randomCases = Number(process.argv[3] ?? 10_000);
const seed = Number(process.argv[4] ?? 1);
const REFERENCE = `${REFERENCE_DIR}fork_droid_tiny.ckpt.pth`;
/** A case slower than this fails the run; one silent for HANG_MS is a hang. */
const MAX_CASE_MS = 5000;
const HANG_MS = 60_000;
const MIB = 2 ** 20;

if (process.env.SURGERY_FUZZ_CHILD === '1') await fuzz();
else await watch();

/** Runs the fuzz in a child process and kills it when one case makes no progress for HANG_MS. */
async function watch(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), process.argv.slice(2), { execArgv: ['--import', 'tsx'], env: { ...process.env, SURGERY_FUZZ_CHILD: '1' } });
  let current = { what: 'start-up', since: Date.now() };
  let hung = false;
  child.on('message', (what: string) => (current = { what, since: Date.now() }));
  const timer = setInterval(() => {
    if (Date.now() - current.since < HANG_MS) return;
    hung = true;
    console.log(`HANG ${current.what}: no progress in ${HANG_MS / 1000} s`);
    child.kill('SIGKILL');
  }, 1000);
  const code = await new Promise<number>((resolve) => child.on('exit', (status) => resolve(status ?? 1)));
  clearInterval(timer);
  process.exitCode = hung ? 1 : code;
}

interface Section {
  cases: number;
  ok: number;
  refused: number;
  bugs: number;
}

async function fuzz(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'surgery-fuzz-bench-'));
  const markers = join(dir, 'markers');
  mkdirSync(markers);
  const sections = new Map<string, Section>();
  const codes = new Map<string, number>();
  const failures: string[] = [];
  let slowest = { ms: 0, what: '' };
  let biggestRise = { kib: 0, what: '' };
  const started = performance.now();

  /** Runs one in-process case; `mustRefuse` for hostile and cut files. Returns the outcome. */
  const run = async (section: string, name: string, bytes: Uint8Array, what: string, mustRefuse: boolean): Promise<FuzzOutcome> => {
    process.send?.(`${section}: ${what}`);
    const highWater = process.resourceUsage().maxRSS;
    const caseStart = performance.now();
    const outcome = await runFuzzCase(join(dir, name), bytes);
    const ms = performance.now() - caseStart;
    const rise = process.resourceUsage().maxRSS - highWater;
    const tally = sections.get(section) ?? { cases: 0, ok: 0, refused: 0, bugs: 0 };
    sections.set(section, tally);
    tally.cases += 1;
    if (ms > slowest.ms) slowest = { ms, what: `${section}: ${what}` };
    if (rise > biggestRise.kib) biggestRise = { kib: rise, what: `${section}: ${what}` };
    if (ms > MAX_CASE_MS) failures.push(`${section}: ${what}: ${Math.round(ms)} ms`);
    if (outcome.kind === 'bug') {
      tally.bugs += 1;
      failures.push(`${section}: ${what}: ${String((outcome.error as Error).stack ?? outcome.error).slice(0, 600)}`);
    } else if (outcome.kind === 'ok') {
      tally.ok += 1;
      if (mustRefuse) failures.push(`${section}: ${what}: accepted`);
    } else {
      tally.refused += 1;
      codes.set(outcome.code, (codes.get(outcome.code) ?? 0) + 1);
    }
    return outcome;
  };

  try {
    const bases = await makeFuzzBases(dir);
    const random = seededRandom(seed);
    for (let index = 0; index < randomCases; index++) {
      const base = bases[index % bases.length]!;
      const { bytes, how } = mutate(base.bytes, random);
      await run('random mutations', `case${extname(base.name)}`, bytes, `case ${index} seed ${seed} (${base.name}, ${how})`, false);
    }

    const hostile = await makeHostileCases(join(dir, 'hostile'), markers);
    for (const { name, bytes } of hostile) await run('hostile', `hostile-${name}`, bytes, name, true);

    const safetensors = join(dir, 'nets.safetensors');
    await convertCheckpoint(REFERENCE, safetensors, { stateDict: 'model.nets', durable: false });
    const real = [
      { name: 'robomimic.pth', bytes: Uint8Array.from(readFileSync(REFERENCE)) },
      { name: 'nets.safetensors', bytes: Uint8Array.from(readFileSync(safetensors)) },
      ...bases.filter((base) => base.name.startsWith('torch') || base.name.startsWith('legacy')),
    ];
    const cuts: HostileCase[] = [];
    for (const { name, bytes } of real) {
      for (let percent = 0; percent < 100; percent += 5) {
        const cut = { name: `cut${percent}-${name}`, bytes: bytes.subarray(0, Math.floor((bytes.length * percent) / 100)) };
        cuts.push(cut);
        await run('cut at every 5%', cut.name, cut.bytes, `${name} at ${percent}%`, true);
      }
    }

    const flipped: HostileCase[] = [];
    for (const { name, bytes } of real.slice(0, 2)) {
      for (let index = 0; index < mutants; index++) {
        const mutant = flipBytes(bytes, random);
        await run(`byte flips of ${name}`, `flip-${name}`, mutant.bytes, `mutant ${index} (${mutant.how})`, false);
        if (index % 50 === 0) flipped.push({ name: `flip${index}-${name}`, bytes: mutant.bytes });
      }
    }

    const remaps = garbageRemaps(random);
    let remapWorst = { ms: 0, what: '' };
    for (const { name, bytes } of remaps) {
      process.send?.(`garbage remaps: ${name}`);
      const path = join(dir, name);
      writeFileSync(path, bytes);
      const remapStart = performance.now();
      try {
        const errors = analyzeRemap(readRemapSource(path), path).diagnostics.filter((d) => d.severity === 'error');
        if (errors.length === 0 || errors.some((d) => d.spans[0]?.file !== path)) failures.push(`garbage remaps: ${name}: no error naming the file`);
      } catch (error) {
        failures.push(`garbage remaps: ${name}: threw ${String((error as Error).stack ?? error).slice(0, 600)}`);
      }
      const ms = performance.now() - remapStart;
      if (ms > remapWorst.ms) remapWorst = { ms, what: name };
    }

    const cli = cliSample(dir, [...hostile, ...cuts.filter((_, index) => index % 2 === 0), ...flipped], remaps, failures);
    const executions = readdirSync(markers);
    for (const name of executions) failures.push(`EXECUTED: the payload behind marker "${name}" ran`);
    const control = executeWithCPython(join(dir, 'hostile'), markers);
    const controlRan = readdirSync(markers).includes('System-p2');

    const seconds = (performance.now() - started) / 1000;
    const bugs = [...sections.values()].reduce((sum, tally) => sum + tally.bugs, 0);
    console.log(`fuzz run, seed ${seed}, ${seconds.toFixed(0)} s`);
    console.log(`  ${'section'.padEnd(32)} ${'cases'.padStart(6)} ${'loaded'.padStart(7)} ${'refused'.padStart(8)} ${'bugs'.padStart(5)}`);
    for (const [name, tally] of sections) console.log(`  ${name.padEnd(32)} ${String(tally.cases).padStart(6)} ${String(tally.ok).padStart(7)} ${String(tally.refused).padStart(8)} ${String(tally.bugs).padStart(5)}`);
    console.log(`  ${'garbage remaps (all exit 1)'.padEnd(32)} ${String(remaps.length).padStart(6)}    worst ${remapWorst.ms.toFixed(0)} ms (${remapWorst.what})`);
    console.log('refusals by code:');
    for (const [code, count] of [...codes].sort((a, b) => b[1] - a[1])) console.log(`  ${String(count).padStart(6)}  ${code}`);
    console.log(`worst time: ${slowest.ms.toFixed(0)} ms (${slowest.what})`);
    console.log(`worst memory: peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; largest rise in one case +${(biggestRise.kib / 1024).toFixed(0)} MiB (${biggestRise.what})`);
    console.log(`CLI sample: ${cli.runs} processes, ${cli.asExpected} with the expected exit code and message, ${cli.stackTraces} stack traces, worst ${cli.worstSeconds.toFixed(1)} s, ${cli.hangs} hangs`);
    console.log(`executions: ${executions.length} (control: CPython's pickle.load of the same os.system payload ${controlRan ? 'created' : 'did NOT create'} ${control})`);
    console.log(`uncaught exceptions: ${bugs}; hangs: 0 in process (a watchdog kills a case silent for ${HANG_MS / 1000} s)`);
    if (!controlRan) failures.push('the CPython control did not run: the payloads prove nothing');
    for (const failure of failures.slice(0, 30)) console.log(`FAIL ${failure}`);
    process.exitCode = failures.length ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs the built CLI on each checkpoint (`inspect`, exit 3 expected; flipped ones may also load,
 * exit 0) and each remap (`check`, exit 1 expected); the message must name the file.
 */
function cliSample(dir: string, checkpoints: HostileCase[], remaps: HostileCase[], failures: string[]): { runs: number; asExpected: number; stackTraces: number; worstSeconds: number; hangs: number } {
  const bin = builtCli();
  const tally = { runs: 0, asExpected: 0, stackTraces: 0, worstSeconds: 0, hangs: 0 };
  const jobs = [
    ...checkpoints.map((c) => ({ name: c.name, bytes: c.bytes, command: 'inspect', statuses: c.name.startsWith('flip') ? [0, 3] : [3], names: (path: string) => `surgery: ${path}` })),
    ...remaps.map((r) => ({ name: r.name, bytes: r.bytes, command: 'check', statuses: [1], names: (path: string) => `${path}:` })),
  ];
  for (const job of jobs) {
    const path = join(dir, `cli-${job.name}`);
    writeFileSync(path, job.bytes);
    process.send?.(`CLI sample: ${job.command} ${job.name}`);
    const start = performance.now();
    const result = spawnSync(process.execPath, [bin, job.command, path], { encoding: 'utf8', timeout: HANG_MS / 2, maxBuffer: 64 * MIB });
    tally.worstSeconds = Math.max(tally.worstSeconds, (performance.now() - start) / 1000);
    tally.runs += 1;
    if (result.error || result.signal) {
      tally.hangs += 1;
      failures.push(`CLI ${job.command} ${job.name}: ${result.error?.message ?? result.signal}`);
      continue;
    }
    const output = `${result.stdout}${result.stderr}`;
    const stack = /\n\s+at .*:\d+:\d+\)?\n/.test(result.stderr);
    if (stack) tally.stackTraces += 1;
    const named = result.status === 0 || output.includes(job.names(path));
    if (job.statuses.includes(result.status!) && named && !stack) tally.asExpected += 1;
    else failures.push(`CLI ${job.command} ${job.name}: exit ${result.status}, ${result.stderr.slice(0, 300)}`);
  }
  return tally;
}
