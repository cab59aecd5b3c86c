/**
 * A latency histogram with 10 µs buckets up to 1 s (overflow kept exactly), so load processes
 * can record millions of samples cheaply and the parent can merge them without losing p999.
 */

const BUCKET_MS = 0.01;
const BUCKETS = 100_000;

export interface HistogramData {
  counts: number[];
  overflow: number[];
}

export class Histogram {
  private counts = new Uint32Array(BUCKETS);
  private overflow: number[] = [];
  count = 0;
  max = 0;

  record(ms: number): void {
    this.count++;
    if (ms > this.max) this.max = ms;
    const i = Math.floor(Math.max(0, ms) / BUCKET_MS);
    if (i < BUCKETS) this.counts[i] = (this.counts[i] as number) + 1;
    else this.overflow.push(ms);
  }

  /** Sparse form for IPC: [bucket, count] pairs flattened. */
  toData(): HistogramData {
    const counts: number[] = [];
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.counts[i] as number;
      if (c > 0) counts.push(i, c);
    }
    return { counts, overflow: this.overflow };
  }

  merge(data: HistogramData): void {
    for (let k = 0; k < data.counts.length; k += 2) {
      const i = data.counts[k] as number;
      const c = data.counts[k + 1] as number;
      this.counts[i] = (this.counts[i] as number) + c;
      this.count += c;
      this.max = Math.max(this.max, (i + 1) * BUCKET_MS);
    }
    for (const ms of data.overflow) {
      this.overflow.push(ms);
      this.count++;
      this.max = Math.max(this.max, ms);
    }
  }

  /** The value below which a fraction `q` of samples fall (bucket upper bound), in ms. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] as number;
      if (seen >= rank) return Math.min((i + 1) * BUCKET_MS, this.max);
    }
    const sorted = [...this.overflow].sort((a, b) => a - b);
    return sorted[rank - seen - 1] ?? this.max;
  }
}
