import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Registry } from './registry.js';

type MemoryField = 'rss' | 'heapUsed' | 'heapTotal' | 'external';

/** What the process metrics read at scrape time (the process's own by default; tests pass fixed ones). */
export interface ProcessReadings {
  readonly memory: () => Pick<NodeJS.MemoryUsage, MemoryField>;
  /** User and system CPU since the process started, in microseconds. */
  readonly cpu: () => NodeJS.CpuUsage;
  /** The event loop's delay in nanoseconds since the previous scrape: its 99th percentile and maximum (NaN when unmeasured). */
  readonly loopDelay: () => { readonly p99: number; readonly max: number };
}

/**
 * The event loop's delay, sampled every 20 ms by the runtime (no timer of casestream's own), and
 * reset at each reading, so that a scrape shows the delays since the one before.
 */
const eventLoopDelay = (): ProcessReadings['loopDelay'] => {
  const histogram = monitorEventLoopDelay({ resolution: 20 });
  histogram.enable();
  return () => {
    const reading = { p99: histogram.percentile(99), max: histogram.max };
    histogram.reset();
    return reading;
  };
};

const processReadings = (): ProcessReadings => ({
  memory: () => process.memoryUsage(),
  cpu: () => process.cpuUsage(),
  loopDelay: eventLoopDelay(),
});

/** The memory gauges: name, help, and the field of process.memoryUsage() each reads. */
const MEMORY_GAUGES: readonly (readonly [string, string, MemoryField])[] = [
  ['process_resident_memory_bytes', 'Resident memory size in bytes.', 'rss'],
  ['nodejs_heap_size_used_bytes', 'V8 heap used, in bytes.', 'heapUsed'],
  ['nodejs_heap_size_total_bytes', 'V8 heap reserved, in bytes.', 'heapTotal'],
  ['nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript objects (Buffers included), in bytes.', 'external'],
];

/** Nanoseconds to seconds; a histogram with no sample yet reads as 0. */
const seconds = (ns: number): number => (Number.isFinite(ns) && ns > 0 ? ns / 1e9 : 0);

/**
 * The process's memory, CPU and event-loop delay on /metrics, under the names Prometheus's client
 * libraries use (`process_*`, `nodejs_*`), so that existing dashboards and alerts apply: the resident
 * set is what a container's memory limit counts, the heap what `--max-old-space-size` bounds.
 */
export const processMetrics = (registry: Registry, readings: ProcessReadings = processReadings()): void => {
  for (const [name, help, field] of MEMORY_GAUGES) registry.gauge({ name, help, collect: () => readings.memory()[field] });
  registry.counter({
    name: 'process_cpu_seconds_total',
    help: 'User and system CPU time spent, in seconds.',
    collect: () => {
      const { user, system } = readings.cpu();
      return (user + system) / 1e6;
    },
  });
  // One reading serves both gauges of a scrape: reading resets the histogram.
  let delay = { p99: 0, max: 0 };
  registry.gauge({
    name: 'nodejs_eventloop_delay_p99_seconds',
    help: 'The 99th percentile of the event loop delay since the previous scrape, in seconds.',
    collect: () => {
      delay = readings.loopDelay();
      return seconds(delay.p99);
    },
  });
  registry.gauge({
    name: 'nodejs_eventloop_delay_max_seconds',
    help: 'The longest event loop delay since the previous scrape, in seconds.',
    collect: () => seconds(delay.max),
  });
};
