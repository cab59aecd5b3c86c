/** Counters for a fuzz run: what was sent, what came back, how sockets ended. */

export class Tally {
  readonly counts = new Map<string, number>();

  add(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }

  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  get total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }

  /** "a 3, b 2", largest first. */
  format(): string {
    return [...this.counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
  }
}

export interface FuzzStats {
  /** Frames sent, by generator kind. */
  sent: Tally;
  /** Replies received, by frame type (errors by code, as "error:CODE"). */
  replies: Tally;
  /** Fuzz sockets closed by the server, by close code. */
  closes: Tally;
  connections: number;
  /** Requests whose socket closed before they were answered (after a 1008, say). */
  unanswered: number;
  /** HTTP requests, by status. */
  http: Tally;
  bystanderMessages: number;
}

export function newStats(): FuzzStats {
  return {
    sent: new Tally(),
    replies: new Tally(),
    closes: new Tally(),
    connections: 0,
    unanswered: 0,
    http: new Tally(),
    bystanderMessages: 0,
  };
}
