/** Token buckets: one per connection for frame rates, and keyed ones for logins and signups. */

export class TokenBucket {
  private tokens: number;
  private updated: number;

  constructor(
    readonly capacity: number,
    /** Tokens added per second. */
    readonly refill: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.updated = now;
  }

  private top(now: number): void {
    if (now > this.updated) {
      this.tokens = Math.min(
        this.capacity,
        this.tokens + ((now - this.updated) / 1000) * this.refill,
      );
      this.updated = now;
    }
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    this.top(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  has(now: number): boolean {
    this.top(now);
    return this.tokens >= 1;
  }

  isFull(now: number): boolean {
    this.top(now);
    return this.tokens >= this.capacity;
  }

  /** Puts a token back (a reservation that turned out not to count), up to capacity. */
  give(): void {
    this.tokens = Math.min(this.capacity, this.tokens + 1);
  }

  /** Whole seconds until a token is available. */
  retryAfter(now: number): number {
    this.top(now);
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.refill);
  }
}

/**
 * Buckets by key (an address, an account). Bounded: full buckets are forgotten by prune(), and
 * past maxKeys the oldest keys go first, so a flood of new keys cannot grow memory without end.
 */
export class KeyedLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    readonly capacity: number,
    readonly refill: number,
    private readonly maxKeys = 100_000,
  ) {}

  private bucket(key: string, now: number): TokenBucket {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      b = new TokenBucket(this.capacity, this.refill, now);
      this.buckets.set(key, b);
    }
    return b;
  }

  take(key: string, now: number): boolean {
    return this.bucket(key, now).take(now);
  }

  give(key: string): void {
    this.buckets.get(key)?.give();
  }

  has(key: string, now: number): boolean {
    return this.buckets.get(key)?.has(now) ?? true;
  }

  retryAfter(key: string, now: number): number {
    return this.buckets.get(key)?.retryAfter(now) ?? 0;
  }

  prune(now: number): void {
    for (const [key, b] of this.buckets) if (b.isFull(now)) this.buckets.delete(key);
  }
}
