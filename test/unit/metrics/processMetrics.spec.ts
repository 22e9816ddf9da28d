import { expect } from 'chai';
import { processMetrics, type ProcessReadings } from '../../../src/infra/metrics/processMetrics.js';
import { Registry } from '../../../src/infra/metrics/registry.js';

/** The value of one unlabelled sample in a rendering. */
const sample = (text: string, name: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no sample ${name} in:\n${text}`);
  return Number(line.slice(name.length + 1));
};

describe('process metrics', () => {
  it("shows the process's resident memory, heap, external memory and CPU under the usual Prometheus names", () => {
    const registry = new Registry();
    const readings: ProcessReadings = {
      memory: () => ({ rss: 300_000_000, heapUsed: 120_000_000, heapTotal: 180_000_000, external: 9_000_000 }),
      cpu: () => ({ user: 2_500_000, system: 500_000 }),
      loopDelay: () => ({ p99: 25_000_000, max: 60_000_000 }),
    };
    processMetrics(registry, readings);

    const text = registry.render();

    expect(sample(text, 'process_resident_memory_bytes')).to.equal(300_000_000);
    expect(sample(text, 'nodejs_heap_size_used_bytes')).to.equal(120_000_000);
    expect(sample(text, 'nodejs_heap_size_total_bytes')).to.equal(180_000_000);
    expect(sample(text, 'nodejs_external_memory_bytes')).to.equal(9_000_000);
    expect(sample(text, 'process_cpu_seconds_total')).to.equal(3);
    expect(text).to.match(/^# TYPE process_cpu_seconds_total counter$/m);
    expect(sample(text, 'nodejs_eventloop_delay_p99_seconds')).to.equal(0.025);
    expect(sample(text, 'nodejs_eventloop_delay_max_seconds')).to.equal(0.06);
  });

  it('shows the delays since the previous scrape, and 0 when the event loop was not measured yet', () => {
    const registry = new Registry();
    const delays = [
      { p99: Number.NaN, max: 0 },
      { p99: 40_000_000, max: 90_000_000 },
    ];
    processMetrics(registry, {
      memory: () => ({ rss: 1, heapUsed: 1, heapTotal: 1, external: 1 }),
      cpu: () => ({ user: 0, system: 0 }),
      loopDelay: () => delays.shift()!,
    });

    const first = registry.render();
    const second = registry.render();

    expect([sample(first, 'nodejs_eventloop_delay_p99_seconds'), sample(first, 'nodejs_eventloop_delay_max_seconds')]).to.deep.equal([
      0, 0,
    ]);
    expect([sample(second, 'nodejs_eventloop_delay_p99_seconds'), sample(second, 'nodejs_eventloop_delay_max_seconds')]).to.deep.equal([
      0.04, 0.09,
    ]);
  });

  it("reads this process's own figures by default", () => {
    const registry = new Registry();
    processMetrics(registry);

    const text = registry.render();

    expect(sample(text, 'process_resident_memory_bytes')).to.be.greaterThan(10_000_000);
    expect(sample(text, 'nodejs_heap_size_used_bytes')).to.be.at.most(sample(text, 'nodejs_heap_size_total_bytes'));
    expect(sample(text, 'process_cpu_seconds_total')).to.be.greaterThan(0);
  });
});
