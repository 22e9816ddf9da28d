/**
 * A small deterministic PRNG (mulberry32) so that a scenario's messages, and the moments its faults
 * are injected, are the same for the same seed. `FAULT_SEED` chooses the seed of a run.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks by weight: `[[value, weight], …]`. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [value, w] of items) {
      r -= w;
      if (r < 0) return value;
    }
    return items[items.length - 1]![0];
  }

  /** A seed for a child generator, so that independent streams do not shift each other. */
  fork(): Prng {
    return new Prng(Math.floor(this.next() * 2 ** 32));
  }
}

/** The seed of this run: FAULT_SEED when set, otherwise a fixed default (reproducible by default). */
export const runSeed = (): number => {
  const raw = process.env.FAULT_SEED;
  if (raw === undefined || raw === '') return 20_260_101;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`FAULT_SEED must be an integer, got ${JSON.stringify(raw)}`);
  return n;
};

/** A per-scenario seed derived from the run seed and the scenario's name. */
export const scenarioSeed = (scenario: string): number => {
  let h = runSeed() ^ 0x9e3779b9;
  for (const ch of scenario) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h >>> 0;
};
