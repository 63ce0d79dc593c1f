/**
 * The project's one source of randomness: a seeded xoshiro128** generator whose whole state is
 * four 32-bit words, so a training checkpoint can record it and `--resume` continues the exact
 * stream (batch order, noise, timesteps, crops) an uninterrupted run would have drawn.
 */
import { createHash } from 'node:crypto';

export interface Rng {
  /** Uniform in [0, 1), 32 bits of resolution. */
  uniform(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal draws (Box–Muller), as float32. */
  normal(count: number): Float32Array;
  /** The state words, for checkpoints. */
  state(): number[];
}

/** Returns a generator seeded from `seed` (splitmix32 expands it to four nonzero words). */
export function createRng(seed: number): Rng {
  let x = seed >>> 0;
  const next = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  return rngFromState([next(), next(), next(), next() | 1]);
}

/**
 * Returns a generator seeded from the SHA-256 of `label`: one independent stream per label, so
 * e.g. each reinitialised key gets the same values whatever order the rules visit keys in.
 */
export function rngFromLabel(label: string): Rng {
  const digest = createHash('sha256').update(label).digest();
  return rngFromState([0, 4, 8, 12].map((i) => digest.readUInt32LE(i)));
}

/** Returns a generator continuing from `state` (as `Rng.state()` returned it). */
export function rngFromState(state: number[]): Rng {
  if (state.length !== 4 || state.every((w) => w === 0)) throw new Error(`rng state must be four words, not all zero; got [${state.join(', ')}]`);
  const s = Uint32Array.from(state);
  const rotl = (v: number, k: number) => ((v << k) | (v >>> (32 - k))) >>> 0;
  const nextU32 = () => {
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  };
  const uniform = () => nextU32() / 4294967296;
  return {
    uniform,
    int: (n) => Math.floor(uniform() * n),
    normal(count) {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i += 2) {
        // 1 - u keeps the log argument in (0, 1].
        const r = Math.sqrt(-2 * Math.log(1 - uniform()));
        const theta = 2 * Math.PI * uniform();
        out[i] = r * Math.cos(theta);
        if (i + 1 < count) out[i + 1] = r * Math.sin(theta);
      }
      return out;
    },
    state: () => Array.from(s),
  };
}
