import { expect } from 'chai';
import { escapeHelp, escapeLabelValue, formatValue, Registry } from '../../../src/infra/metrics/registry.js';

describe('metrics registry (Prometheus text format 0.0.4)', () => {
  it('renders an unlabelled counter from zero, with HELP and TYPE lines and a final line feed', () => {
    const r = new Registry();
    const c = r.counter({ name: 'jobs_total', help: 'Jobs done.' });
    expect(r.render()).to.equal('# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\njobs_total 0\n');
    c.inc();
    c.inc(2.5);
    expect(r.render()).to.equal('# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\njobs_total 3.5\n');
  });

  it('renders labelled samples in first-seen order with label names in declaration order', () => {
    const r = new Registry();
    const c = r.counter({ name: 'msgs_total', help: 'Messages.', labelNames: ['topic', 'partition'] });
    expect(r.render()).to.equal('# HELP msgs_total Messages.\n# TYPE msgs_total counter\n');
    c.inc({ partition: 1, topic: 'a' });
    c.inc({ topic: 'b', partition: 0 }, 4);
    c.inc({ topic: 'a', partition: 1 });
    expect(r.render()).to.equal(
      [
        '# HELP msgs_total Messages.',
        '# TYPE msgs_total counter',
        'msgs_total{topic="a",partition="1"} 2',
        'msgs_total{topic="b",partition="0"} 4',
        '',
      ].join('\n'),
    );
    expect(c.get({ topic: 'a', partition: 1 })).to.equal(2);
  });

  it('escapes label values (backslash, quote, line feed) and HELP text (backslash, line feed)', () => {
    const r = new Registry();
    const g = r.gauge({ name: 'odd', help: 'A \\ help\nsecond line "quoted"', labelNames: ['v'] });
    g.set({ v: 'a\\b"c"\nd' }, 1);
    expect(r.render()).to.equal(
      ['# HELP odd A \\\\ help\\nsecond line "quoted"', '# TYPE odd gauge', 'odd{v="a\\\\b\\"c\\"\\nd"} 1', ''].join('\n'),
    );
    expect(escapeLabelValue('x"y')).to.equal('x\\"y');
    expect(escapeHelp('a\\b')).to.equal('a\\\\b');
  });

  it('formats special values as Prometheus does', () => {
    expect(formatValue(Infinity)).to.equal('+Inf');
    expect(formatValue(-Infinity)).to.equal('-Inf');
    expect(formatValue(NaN)).to.equal('NaN');
    expect(formatValue(0.25)).to.equal('0.25');
    expect(formatValue(-3)).to.equal('-3');
  });

  it('gauges go up, down and to a value; label sets can be removed', () => {
    const r = new Registry();
    const g = r.gauge({ name: 'level', help: 'Level.' });
    g.inc();
    g.inc(5);
    g.dec(2);
    expect(g.get()).to.equal(4);
    g.set(-1.5);
    expect(r.render()).to.equal('# HELP level Level.\n# TYPE level gauge\nlevel -1.5\n');
    const lg = r.gauge({ name: 'lag', help: 'Lag.', labelNames: ['p'] });
    lg.set({ p: '0' }, 3);
    lg.set({ p: '1' }, 4);
    lg.remove({ p: '0' });
    expect(r.render()).to.contain('# TYPE lag gauge\nlag{p="1"} 4\n');
  });

  it('renders histograms with cumulative buckets, +Inf, _sum and _count (le as the last label)', () => {
    const r = new Registry();
    const h = r.histogram({ name: 'latency_seconds', help: 'Latency.', buckets: [0.1, 0.5, 1] });
    expect(r.render()).to.equal(
      [
        '# HELP latency_seconds Latency.',
        '# TYPE latency_seconds histogram',
        'latency_seconds_bucket{le="0.1"} 0',
        'latency_seconds_bucket{le="0.5"} 0',
        'latency_seconds_bucket{le="1"} 0',
        'latency_seconds_bucket{le="+Inf"} 0',
        'latency_seconds_sum 0',
        'latency_seconds_count 0',
        '',
      ].join('\n'),
    );
    h.observe(0.1); // on the bound: counted in le="0.1"
    h.observe(0.3);
    h.observe(0.7);
    h.observe(2);
    expect(r.render()).to.equal(
      [
        '# HELP latency_seconds Latency.',
        '# TYPE latency_seconds histogram',
        'latency_seconds_bucket{le="0.1"} 1',
        'latency_seconds_bucket{le="0.5"} 2',
        'latency_seconds_bucket{le="1"} 3',
        'latency_seconds_bucket{le="+Inf"} 4',
        'latency_seconds_sum 3.1',
        'latency_seconds_count 4',
        '',
      ].join('\n'),
    );
    const lh = r.histogram({ name: 'call_seconds', help: 'Calls.', labelNames: ['result'], buckets: [1] });
    lh.observe({ result: 'ok' }, 0.5);
    expect(r.render()).to.contain(
      [
        '# TYPE call_seconds histogram',
        'call_seconds_bucket{result="ok",le="1"} 1',
        'call_seconds_bucket{result="ok",le="+Inf"} 1',
        'call_seconds_sum{result="ok"} 0.5',
        'call_seconds_count{result="ok"} 1',
      ].join('\n'),
    );
    expect(lh.snapshot({ result: 'ok' })).to.deep.equal({ count: 1, sum: 0.5, buckets: [1] });
  });

  it('times with startTimer', async () => {
    const r = new Registry();
    const h = r.histogram({ name: 't_seconds', help: 'T.' });
    const stop = h.startTimer();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const s = stop();
    expect(s).to.be.greaterThan(0.003);
    expect(h.snapshot().count).to.equal(1);
  });

  it('computes collected metrics at every scrape, replacing what the callback answered before', () => {
    const r = new Registry();
    let lag: { labels: { topic: string; partition: number }; value: number }[] = [
      { labels: { topic: 't', partition: 0 }, value: 5 },
      { labels: { topic: 't', partition: 1 }, value: 0 },
    ];
    r.gauge({ name: 'lag', help: 'Lag.', labelNames: ['topic', 'partition'], collect: () => lag });
    let hits: number | undefined = undefined;
    r.counter({ name: 'hits_total', help: 'Hits.', collect: () => hits });
    expect(r.render()).to.equal(
      [
        '# HELP lag Lag.',
        '# TYPE lag gauge',
        'lag{topic="t",partition="0"} 5',
        'lag{topic="t",partition="1"} 0',
        '# HELP hits_total Hits.',
        '# TYPE hits_total counter',
        '',
      ].join('\n'),
    );
    lag = [{ labels: { topic: 't', partition: 1 }, value: 2 }];
    hits = 7;
    expect(r.render()).to.equal(
      [
        '# HELP lag Lag.',
        '# TYPE lag gauge',
        'lag{topic="t",partition="1"} 2',
        '# HELP hits_total Hits.',
        '# TYPE hits_total counter',
        'hits_total 7',
        '',
      ].join('\n'),
    );
  });

  it('a failing callback leaves its metric empty for that scrape instead of failing the scrape', () => {
    const r = new Registry();
    r.gauge({
      name: 'broken',
      help: 'Broken.',
      collect: () => {
        throw new Error('boom');
      },
    });
    r.counter({ name: 'fine_total', help: 'Fine.' });
    expect(r.render()).to.equal(
      '# HELP broken Broken.\n# TYPE broken gauge\n# HELP fine_total Fine.\n# TYPE fine_total counter\nfine_total 0\n',
    );
  });

  it('refuses bad names, duplicate metrics, wrong labels, negative increments and non-finite values', () => {
    const r = new Registry();
    expect(() => r.counter({ name: '1bad', help: '' })).to.throw(RangeError);
    expect(() => r.counter({ name: 'ok_total', help: '', labelNames: ['__x'] })).to.throw(RangeError);
    expect(() => r.histogram({ name: 'h', help: '', labelNames: ['le'] })).to.throw(RangeError);
    expect(() => r.histogram({ name: 'h2', help: '', buckets: [1, 1] })).to.throw(RangeError);
    const c = r.counter({ name: 'c_total', help: '', labelNames: ['a'] });
    expect(() => r.counter({ name: 'c_total', help: '' })).to.throw(/already registered/);
    expect(() => c.inc({ a: 'x' }, -1)).to.throw(RangeError);
    expect(() => c.inc({ a: 'x' }, NaN)).to.throw(RangeError);
    expect(() => (c.inc as (l: unknown) => void)({ b: 'x' })).to.throw(/takes labels \[a\]/);
    expect(() => (c.inc as (l: unknown) => void)({ a: 'x', b: 'y' })).to.throw(RangeError);
    const collected = r.gauge({ name: 'g', help: '', collect: () => 1 });
    expect(() => collected.set(2)).to.throw(/computed at scrape time/);
  });

  it('renders nothing for an empty registry', () => {
    expect(new Registry().render()).to.equal('');
  });
});
