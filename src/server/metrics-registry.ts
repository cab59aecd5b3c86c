/**
 * A small metrics registry that renders the Prometheus text exposition format (version 0.0.4).
 *
 * Hand-written rather than prom-client: Parley needs counters, gauges and one kind of histogram,
 * the format is a few lines of text, and the hot path (a counter bump per message) must stay a
 * map lookup and an add, with no dependency to audit.
 */

export type Labels = Readonly<Record<string, string>>;

interface Metric {
  readonly name: string;
  render(): string;
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function escapeValue(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelText(labels: Labels | undefined, extra?: string): string {
  const parts = labels
    ? Object.keys(labels)
        .sort()
        .map((k) => `${k}="${escapeValue(labels[k] as string)}"`)
    : [];
  if (extra) parts.push(extra);
  return parts.length > 0 ? `{${parts.join(",")}}` : "";
}

function keyOf(labels: Labels | undefined): string {
  return labels ? JSON.stringify(Object.entries(labels).sort()) : "";
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Number.POSITIVE_INFINITY) return "+Inf";
  if (n === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(n);
}

/** Series of one metric, one per label set; labels with many values must be bounded by callers. */
abstract class Family<T> implements Metric {
  protected readonly series = new Map<string, { labels: Labels | undefined; value: T }>();
  /** The series without labels, kept at hand: the per-message counters use it. */
  private bare: T | undefined;

  constructor(
    readonly name: string,
    protected readonly help: string,
    private readonly type: string,
  ) {}

  protected get(labels: Labels | undefined, fresh: () => T): T {
    if (labels === undefined && this.bare !== undefined) return this.bare;
    const key = keyOf(labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels, value: fresh() };
      this.series.set(key, entry);
    }
    if (labels === undefined) this.bare = entry.value;
    return entry.value;
  }

  protected header(): string {
    return `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
  }

  abstract render(): string;
}

export class Counter extends Family<{ n: number }> {
  constructor(name: string, help: string) {
    super(name, help, "counter");
  }

  inc(labels?: Labels, by = 1): void {
    this.get(labels, () => ({ n: 0 })).n += by;
  }

  value(labels?: Labels): number {
    return this.series.get(keyOf(labels))?.value.n ?? 0;
  }

  render(): string {
    let out = this.header();
    // A counter with no labels shows 0 before its first event, so dashboards see it exists.
    if (this.series.size === 0) out += `${this.name} 0\n`;
    for (const { labels, value } of this.series.values()) {
      out += `${this.name}${labelText(labels)} ${formatNumber(value.n)}\n`;
    }
    return out;
  }
}

/** A gauge read when scraped, from whatever already knows the value. */
export class Gauge implements Metric {
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly read: () => number,
  ) {}

  render(): string {
    return `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} gauge\n${this.name} ${formatNumber(this.read())}\n`;
  }
}

interface HistogramState {
  /** Observations per bucket, each counted in the first bucket it fits; cumulated when rendered. */
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Family<HistogramState> {
  constructor(
    name: string,
    help: string,
    private readonly buckets: readonly number[],
  ) {
    super(name, help, "histogram");
  }

  observe(value: number, labels?: Labels): void {
    const state = this.get(labels, () => ({
      counts: this.buckets.map(() => 0),
      sum: 0,
      count: 0,
    }));
    let i = 0;
    // "not <=" so NaN, like a value past every bound, is counted in no bucket but +Inf.
    while (i < this.buckets.length && !(value <= (this.buckets[i] as number))) i++;
    if (i < this.buckets.length) state.counts[i] = (state.counts[i] as number) + 1;
    state.sum += value;
    state.count++;
  }

  count(labels?: Labels): number {
    return this.series.get(keyOf(labels))?.value.count ?? 0;
  }

  render(): string {
    let out = this.header();
    const all = this.series.size > 0 ? [...this.series.values()] : [undefined];
    for (const entry of all) {
      const labels = entry?.labels;
      const state = entry?.value;
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += state?.counts[i] ?? 0;
        out += `${this.name}_bucket${labelText(labels, `le="${formatNumber(le)}"`)} ${cumulative}\n`;
      });
      out += `${this.name}_bucket${labelText(labels, 'le="+Inf"')} ${state?.count ?? 0}\n`;
      out += `${this.name}_sum${labelText(labels)} ${formatNumber(state?.sum ?? 0)}\n`;
      out += `${this.name}_count${labelText(labels)} ${state?.count ?? 0}\n`;
    }
    return out;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];

  add<M extends Metric>(metric: M): M {
    if (this.metrics.some((m) => m.name === metric.name)) {
      throw new Error(`metric ${metric.name} registered twice`);
    }
    this.metrics.push(metric);
    return metric;
  }

  /** The whole exposition, as GET /metrics serves it. */
  render(): string {
    return this.metrics.map((m) => m.render()).join("");
  }
}

/** The content type Prometheus expects for the text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
