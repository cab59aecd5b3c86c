/**
 * Token buckets: one per connection for frame rates, and keyed ones for HTTP requests, logins
 * and signups. A request may cost several tokens, so that its price matches its cost.
 */

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

  /**
   * What a request of this cost takes: never more than a quarter of the capacity, so a small
   * bucket still lets a few costly requests through in a burst.
   */
  private price(cost: number): number {
    return Math.min(cost, Math.max(1, Math.floor(this.capacity / 4)));
  }

  /** Takes a request's price in tokens if there are that many. */
  take(now: number, cost = 1): boolean {
    this.top(now);
    const price = this.price(cost);
    if (this.tokens < price) return false;
    this.tokens -= price;
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

  /** Whole seconds until `cost` tokens are available. */
  retryAfter(now: number, cost = 1): number {
    this.top(now);
    const price = this.price(cost);
    return this.tokens >= price ? 0 : Math.ceil((price - this.tokens) / this.refill);
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

  take(key: string, now: number, cost = 1): boolean {
    return this.bucket(key, now).take(now, cost);
  }

  give(key: string): void {
    this.buckets.get(key)?.give();
  }

  has(key: string, now: number): boolean {
    return this.buckets.get(key)?.has(now) ?? true;
  }

  retryAfter(key: string, now: number, cost = 1): number {
    return this.buckets.get(key)?.retryAfter(now, cost) ?? 0;
  }

  prune(now: number): void {
    for (const [key, b] of this.buckets) if (b.isFull(now)) this.buckets.delete(key);
  }
}
