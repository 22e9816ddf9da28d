/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text
 * exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
 * No dependency: the format is a few lines of text per metric.
 *
 * A metric either keeps its own values (`inc`, `set`, `observe`) or is computed at scrape time by a
 * `collect` callback, whose answer replaces whatever it answered before (a partition no longer
 * reported disappears from the output).
 */

/** The Content-Type of `render()`'s output. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Seconds; the Prometheus client libraries' default buckets. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type LabelValue = string | number;
export type Labels<L extends string> = { readonly [K in L]: LabelValue };

/** Arguments that start with the labels when the metric has label names, and without them when it has none. */
type WithLabels<L extends string, Rest extends unknown[]> = [L] extends [never] ? Rest : [labels: Labels<L>, ...rest: Rest];

/** One value a `collect` callback reports. */
export interface Sample<L extends string> {
  readonly labels: Labels<L>;
  readonly value: number;
}

/** What a `collect` callback answers: one value (unlabelled metrics), samples, or nothing (no output this scrape). */
export type Collected<L extends string> = number | readonly Sample<L>[] | undefined;

export interface MetricOptions<L extends string> {
  /** `[a-zA-Z_:][a-zA-Z0-9_:]*`; counters should end in `_total`, durations in `_seconds`. */
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
}

export interface CollectedMetricOptions<L extends string> extends MetricOptions<L> {
  /** Called at every scrape; its answer is the metric's whole content. Errors leave the metric empty for that scrape. */
  readonly collect?: () => Collected<L>;
}

export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  /** Upper bounds (inclusive), ascending; `+Inf` is added. Default DEFAULT_BUCKETS. */
  readonly buckets?: readonly number[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** HELP text: backslash and line feed escaped. */
export const escapeHelp = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** Label value: backslash, double quote and line feed escaped. */
export const escapeLabelValue = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** A sample value as Prometheus writes it: `+Inf`, `-Inf`, `NaN`, otherwise the shortest decimal form. */
export const formatValue = (n: number): string => {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
};

const renderLabels = (pairs: readonly (readonly [string, string])[]): string =>
  pairs.length === 0 ? '' : `{${pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;

abstract class Metric<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  abstract readonly type: 'counter' | 'gauge' | 'histogram';

  constructor(options: MetricOptions<L>, reserved: readonly string[] = []) {
    if (!METRIC_NAME.test(options.name)) throw new RangeError(`invalid metric name ${JSON.stringify(options.name)}`);
    const labelNames = options.labelNames ?? [];
    for (const l of labelNames) {
      if (!LABEL_NAME.test(l) || l.startsWith('__') || reserved.includes(l)) {
        throw new RangeError(`invalid label name ${JSON.stringify(l)} on ${options.name}`);
      }
    }
    if (new Set(labelNames).size !== labelNames.length) throw new RangeError(`duplicate label names on ${options.name}`);
    this.name = options.name;
    this.help = options.help;
    this.labelNames = labelNames;
  }

  /** The label values in labelNames order; every label must be given, no other. */
  protected valuesOf(labels: Labels<L> | undefined): string[] {
    const given = labels ?? ({} as Labels<L>);
    const keys = Object.keys(given);
    if (keys.length !== this.labelNames.length || keys.some((k) => !(this.labelNames as readonly string[]).includes(k))) {
      throw new RangeError(`${this.name} takes labels [${this.labelNames.join(', ')}], got [${keys.join(', ')}]`);
    }
    return this.labelNames.map((l) => String(given[l]));
  }

  protected pairs(values: readonly string[]): [string, string][] {
    return this.labelNames.map((l, i) => [l, values[i] ?? '']);
  }

  /** The HELP and TYPE lines plus every sample line. */
  render(): string[] {
    return [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`, ...this.samples()];
  }

  protected abstract samples(): string[];
}

const keyOf = (values: readonly string[]): string => values.join('\u0000');

/** Counters and gauges: one number per label set, or what `collect` answers. */
abstract class ScalarMetric<L extends string> extends Metric<L> {
  protected readonly values = new Map<string, { labels: string[]; value: number }>();
  private readonly collect: (() => Collected<L>) | undefined;

  constructor(options: CollectedMetricOptions<L>) {
    super(options);
    this.collect = options.collect;
    // An unlabelled metric exists from the start (0), as the official clients do.
    if (this.labelNames.length === 0 && this.collect === undefined) this.values.set('', { labels: [], value: 0 });
  }

  protected change(labels: Labels<L> | undefined, f: (current: number) => number): void {
    if (this.collect !== undefined) throw new Error(`${this.name} is computed at scrape time; it cannot be changed`);
    const values = this.valuesOf(labels);
    const key = keyOf(values);
    const entry = this.values.get(key);
    if (entry) entry.value = f(entry.value);
    else this.values.set(key, { labels: values, value: f(0) });
  }

  /** The current value for a label set (0 when never set); for tests and callers that need it. */
  get(...args: WithLabels<L, []>): number {
    const values = this.valuesOf(args[0] as Labels<L> | undefined);
    return this.values.get(keyOf(values))?.value ?? 0;
  }

  protected samples(): string[] {
    if (this.collect !== undefined) {
      let collected: Collected<L>;
      try {
        collected = this.collect();
      } catch {
        return [];
      }
      if (collected === undefined) return [];
      if (typeof collected === 'number') {
        if (this.labelNames.length > 0) return [];
        return [`${this.name} ${formatValue(collected)}`];
      }
      const lines: string[] = [];
      for (const s of collected) {
        let values: string[];
        try {
          values = this.valuesOf(s.labels);
        } catch {
          continue;
        }
        lines.push(`${this.name}${renderLabels(this.pairs(values))} ${formatValue(s.value)}`);
      }
      return lines;
    }
    return [...this.values.values()].map((e) => `${this.name}${renderLabels(this.pairs(e.labels))} ${formatValue(e.value)}`);
  }
}

const checkAmount = (name: string, n: number): number => {
  if (!Number.isFinite(n)) throw new RangeError(`${name}: value must be a finite number, got ${n}`);
  return n;
};

export class Counter<L extends string = never> extends ScalarMetric<L> {
  readonly type = 'counter' as const;

  /** Adds `by` (default 1, never negative). */
  inc(...args: WithLabels<L, [by?: number]>): void {
    const [labels, by] = (this.labelNames.length === 0 ? [undefined, args[0]] : [args[0], args[1]]) as [
      Labels<L> | undefined,
      number | undefined,
    ];
    const amount = checkAmount(this.name, by ?? 1);
    if (amount < 0) throw new RangeError(`${this.name}: a counter only goes up, got ${amount}`);
    this.change(labels, (v) => v + amount);
  }
}

export class Gauge<L extends string = never> extends ScalarMetric<L> {
  readonly type = 'gauge' as const;

  set(...args: WithLabels<L, [value: number]>): void {
    const [labels, value] = this.split(args);
    const v = checkAmount(this.name, value ?? 0);
    this.change(labels, () => v);
  }

  inc(...args: WithLabels<L, [by?: number]>): void {
    const [labels, by] = this.split(args);
    const amount = checkAmount(this.name, by ?? 1);
    this.change(labels, (v) => v + amount);
  }

  dec(...args: WithLabels<L, [by?: number]>): void {
    const [labels, by] = this.split(args);
    const amount = checkAmount(this.name, by ?? 1);
    this.change(labels, (v) => v - amount);
  }

  /** Drops a label set (a partition no longer assigned, say). */
  remove(...args: WithLabels<L, []>): void {
    this.values.delete(keyOf(this.valuesOf(args[0] as Labels<L> | undefined)));
  }

  private split(args: unknown[]): [Labels<L> | undefined, number | undefined] {
    return (this.labelNames.length === 0 ? [undefined, args[0]] : [args[0], args[1]]) as [Labels<L> | undefined, number | undefined];
  }
}

interface HistogramSeries {
  readonly labels: string[];
  /** Per bucket (non-cumulative) counts; cumulated when rendered. */
  readonly counts: number[];
  sum: number;
  count: number;
}

export class Histogram<L extends string = never> extends Metric<L> {
  readonly type = 'histogram' as const;
  readonly buckets: readonly number[];
  private readonly series = new Map<string, HistogramSeries>();

  constructor(options: HistogramOptions<L>) {
    super(options, ['le']);
    const buckets = [...(options.buckets ?? DEFAULT_BUCKETS)].filter((b) => b !== Infinity);
    if (buckets.length === 0 || buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!))) {
      throw new RangeError(`${options.name}: buckets must be finite and strictly ascending`);
    }
    this.buckets = buckets;
    if (this.labelNames.length === 0) this.seriesFor([]);
  }

  private seriesFor(values: string[]): HistogramSeries {
    const key = keyOf(values);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: values, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    return s;
  }

  /** Records one observation (seconds, for durations). */
  observe(...args: WithLabels<L, [value: number]>): void {
    const [labels, value] = (this.labelNames.length === 0 ? [undefined, args[0]] : [args[0], args[1]]) as [Labels<L> | undefined, number];
    const v = checkAmount(this.name, value);
    const s = this.seriesFor(this.valuesOf(labels));
    const i = this.buckets.findIndex((b) => v <= b);
    if (i >= 0) s.counts[i] = (s.counts[i] ?? 0) + 1;
    s.sum += v;
    s.count += 1;
  }

  /** Starts timing; the returned function observes the seconds elapsed (with these labels) and returns them. */
  startTimer(...args: WithLabels<L, []>): () => number {
    const start = process.hrtime.bigint();
    return () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      (this.observe as (...a: unknown[]) => void)(...(this.labelNames.length === 0 ? [seconds] : [args[0], seconds]));
      return seconds;
    };
  }

  /** Observation count and sum for a label set (tests). */
  snapshot(...args: WithLabels<L, []>): { count: number; sum: number; buckets: number[] } {
    const s = this.series.get(keyOf(this.valuesOf(args[0] as Labels<L> | undefined)));
    return { count: s?.count ?? 0, sum: s?.sum ?? 0, buckets: s ? [...s.counts] : this.buckets.map(() => 0) };
  }

  protected samples(): string[] {
    const lines: string[] = [];
    for (const s of this.series.values()) {
      const pairs = this.pairs(s.labels);
      let cumulative = 0;
      this.buckets.forEach((b, i) => {
        cumulative += s.counts[i] ?? 0;
        lines.push(`${this.name}_bucket${renderLabels([...pairs, ['le', formatValue(b)]])} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${renderLabels([...pairs, ['le', '+Inf']])} ${s.count}`);
      lines.push(`${this.name}_sum${renderLabels(pairs)} ${formatValue(s.sum)}`);
      lines.push(`${this.name}_count${renderLabels(pairs)} ${s.count}`);
    }
    return lines;
  }
}

/** The metrics of one process, rendered together in registration order. */
export class Registry {
  private readonly metrics = new Map<string, Metric<string>>();

  private add<M extends Metric<string>>(metric: M): M {
    if (this.metrics.has(metric.name)) throw new Error(`metric ${metric.name} is already registered`);
    this.metrics.set(metric.name, metric);
    return metric;
  }

  counter<L extends string = never>(options: CollectedMetricOptions<L>): Counter<L> {
    return this.add(new Counter<L>(options) as unknown as Metric<string>) as unknown as Counter<L>;
  }

  gauge<L extends string = never>(options: CollectedMetricOptions<L>): Gauge<L> {
    return this.add(new Gauge<L>(options) as unknown as Metric<string>) as unknown as Gauge<L>;
  }

  histogram<L extends string = never>(options: HistogramOptions<L>): Histogram<L> {
    return this.add(new Histogram<L>(options) as unknown as Metric<string>) as unknown as Histogram<L>;
  }

  /** Every metric in the text exposition format 0.0.4, ending with a line feed. */
  render(): string {
    const lines = [...this.metrics.values()].flatMap((m) => m.render());
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }
}
