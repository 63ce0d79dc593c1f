/**
 * Benchmark: parse (and separately check and print) a generated 10,000-line `.remap` file.
 * Target: parsing well under 100 ms. Run: `node --expose-gc --import tsx bench/parse-remap.ts [lines]`
 * (with --expose-gc each run starts from a collected heap, so one run does not pay for the last one's garbage).
 */
import { performance } from 'node:perf_hooks';
import { checkRemap, parseRemap, printRemap } from '../grammar/index.ts';

const LINES = Number(process.argv[2] ?? 10_000);
const RUNS = 21;

/** A realistic mix: long dotted keys, globs, captures, slices, inits, expectations and comments. */
function generate(lines: number): string {
  const kinds = [
    (i: number) => `policy.obs_encoder.module.nets.obs.obs_nets.camera_${i}/image.backbone.nets.${i % 8}.${i % 3}.conv1.weight -> policy.enc.cam_${i}.conv1.weight`,
    (i: number) => `drop **.lang_fixed_${i}/**.bias  # not used by the target`,
    (i: number) => `reinit policy.noise_pred_net.module.down_modules.${i % 3}.0.blocks.${i % 2}.block.0.* with normal(0.02)`,
    (i: number) => `policy.obs_encoder.module.combine.${i}.weight[:, 0:512] <- [:, 7:519]`,
    (i: number) => `{pre:**}.cam_${i}_{side}.{w} -> {pre:**}.camera_${i}.{side}.{w}`,
    (i: number) => `allow missing policy.noise_pred_net.**.final_conv_${i}.*`,
    (i: number) => `expect loaded >= 95% params in policy.obs_encoder_${i}.**`,
    (i: number) => `# section ${i}: comments are kept for fmt`,
    (i: number) => `freeze policy.obs_encoder.**.backbone_${i}.** for 2000 steps`,
    (i: number) => `t.${i}.w[:, cols_${i % 10}] <- source s.${i}.w[:, 0:8]`,
  ];
  const out = ['version 1', ...Array.from({ length: 10 }, (_, i) => `let cols_${i} = ${i}:${i + 8}`)];
  for (let i = out.length; i < lines; i++) out.push(kinds[i % kinds.length]!(i));
  return `${out.join('\n')}\n`;
}

/** Prints wall-clock and CPU time (median and min of RUNS); CPU time is the steadier one on a shared machine. */
function time(label: string, run: () => unknown): void {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    const startCpu = process.cpuUsage();
    const start = performance.now();
    run();
    wall.push(performance.now() - start);
    const used = process.cpuUsage(startCpu);
    cpu.push((used.user + used.system) / 1000);
  }
  const stats = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return `median ${sorted[Math.floor(RUNS / 2)]!.toFixed(1)} ms, min ${sorted[0]!.toFixed(1)} ms`;
  };
  console.log(`${label.padEnd(24)} wall ${stats(wall)}   cpu ${stats(cpu)}`);
}

const source = generate(LINES);
const first = performance.now();
const parsed = parseRemap(source, 'bench.remap');
console.log(`${LINES} lines, ${(source.length / 1024).toFixed(0)} KiB, ${parsed.file.statements.length} statements, ` +
  `${parsed.diagnostics.length} diagnostics; first (cold) parse ${(performance.now() - first).toFixed(1)} ms`);
if (parsed.diagnostics.length) throw new Error(`the generated file should parse cleanly: ${parsed.diagnostics[0]!.message}`);
time('parseRemap', () => parseRemap(source, 'bench.remap'));
time('checkRemap (all rules)', () => checkRemap(parsed.file));
time('printRemap', () => printRemap(parsed.file, { source }));
