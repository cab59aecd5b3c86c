/**
 * Group commit, isolated by room: sends that arrive together are stored in one transaction, and
 * each caller hears back only after that transaction is durable.
 *
 * Invariants:
 * - A room has at most one batch in flight, so its callbacks run in commit order and its
 *   messages are published in seq order.
 * - Rooms never wait for each other: a batch takes only rooms with nothing in flight, and up to
 *   `maxConcurrent` batches commit at once. A room whose row is locked or slow holds up its own
 *   sends and one commit slot, not the node.
 * - When a batch fails, the sends already queued behind it for the same rooms are refused with
 *   it: none may be stored before the failed one, which its sender will retry first.
 * - Under load a batch waits a little for company: when the previous commit ended less than
 *   `holdMs` ago, the next one starts once `holdBatch` sends are queued or `holdMs` has passed,
 *   whichever is first. A commit's fixed cost (the WAL write, its fsync, the full-text segment)
 *   is then shared by more messages. A lone send after a quiet spell is never held. Held sends
 *   are not acknowledged yet, so a crash during a hold loses nothing that was.
 */
import type { AppendRequest, AppendResult, Store } from "../../db/store.ts";
import type { Logger } from "../log/log.ts";
import { errorFields, logContext } from "../log/log.ts";
import type { Metrics } from "./metrics.ts";

export type Committed = (result: AppendResult | "failed") => void;

interface Pending {
  request: AppendRequest;
  done: Committed;
}

export interface CommitQueueOptions {
  store: Store;
  log: Logger;
  /** Largest batch per transaction. @default 2000 */
  maxBatch?: number;
  /** Most sends waiting for a commit; past it submit() refuses. @default 50000 */
  maxPending?: number;
  /** Batches committing at once (each needs a store connection). @default 4 */
  maxConcurrent?: number;
  /** Longest wait for more sends when commits come back to back, in ms; 0 never waits. @default 0 */
  holdMs?: number;
  /** Sends queued that end a hold at once. @default 64 */
  holdBatch?: number;
  metrics?: Metrics | undefined;
}

export class CommitQueue {
  /** Sends not yet in a batch, by room; Map order makes the rooms take turns. */
  private pending = new Map<number, Pending[]>();
  private waiting = 0;
  /** Rooms with a batch in flight. */
  private readonly busy = new Set<number>();
  private inFlight = 0;
  private scheduled = false;
  /** The timer of a batch held for company, if one is. */
  private held: ReturnType<typeof setTimeout> | undefined;
  /** When the last commit ended (performance.now()); -Infinity before the first. */
  private lastCommitEnd = Number.NEGATIVE_INFINITY;
  private closed = false;
  private readonly maxBatch: number;
  private readonly maxPending: number;
  private readonly maxConcurrent: number;
  private readonly holdMs: number;
  private readonly holdBatch: number;
  private drained: (() => void) | undefined;

  constructor(private readonly opts: CommitQueueOptions) {
    this.maxBatch = opts.maxBatch ?? 2000;
    this.maxPending = opts.maxPending ?? 50_000;
    this.maxConcurrent = Math.max(1, opts.maxConcurrent ?? 4);
    this.holdMs = Math.max(0, opts.holdMs ?? 0);
    this.holdBatch = Math.max(1, opts.holdBatch ?? 64);
  }

  /** False when the queue is full or closed: the caller must refuse the send, not ack it. */
  submit(request: AppendRequest, done: Committed): boolean {
    if (this.closed || this.waiting >= this.maxPending) return false;
    const queue = this.pending.get(request.room);
    if (queue) queue.push({ request, done });
    else this.pending.set(request.room, [{ request, done }]);
    this.waiting++;
    if (this.held !== undefined && this.waiting >= this.holdBatch) {
      clearTimeout(this.held);
      this.held = undefined;
      this.schedule(false);
    } else if (!this.scheduled && this.held === undefined) this.schedule(true);
    return true;
  }

  private schedule(mayHold: boolean): void {
    this.scheduled = true;
    // setImmediate, not a microtask: every frame already read in this loop turn joins the batch.
    // Outside the submitter's log context: a batch belongs to no one connection.
    logContext.exit(() =>
      setImmediate(() => {
        this.scheduled = false;
        if (mayHold && this.hold()) return;
        this.flush();
      }),
    );
  }

  /** Holds the next batch for company when the last commit ended recently; true if it did. */
  private hold(): boolean {
    const recent = performance.now() - this.lastCommitEnd < this.holdMs;
    if (!recent || this.closed || this.waiting >= this.holdBatch) return false;
    this.held = setTimeout(() => {
      this.held = undefined;
      this.flush();
    }, this.holdMs);
    return true;
  }

  /** Starts as many batches as there are free slots and rooms with nothing in flight. */
  private flush(): void {
    while (this.inFlight < this.maxConcurrent) {
      const { batch, rooms } = this.take();
      if (batch.length === 0) break;
      this.inFlight++;
      void this.commit(batch, rooms);
    }
    if (this.inFlight === 0 && this.waiting === 0) this.drained?.();
  }

  /** The next batch: the queued sends of rooms with nothing in flight, up to maxBatch. */
  private take(): { batch: Pending[]; rooms: number[] } {
    const batch: Pending[] = [];
    const rooms: number[] = [];
    for (const [room, queue] of this.pending) {
      if (batch.length >= this.maxBatch) break;
      if (this.busy.has(room)) continue;
      const taken = queue.splice(0, this.maxBatch - batch.length);
      for (const p of taken) batch.push(p);
      if (queue.length === 0) this.pending.delete(room);
      this.busy.add(room);
      rooms.push(room);
    }
    this.waiting -= batch.length;
    return { batch, rooms };
  }

  private async commit(batch: Pending[], rooms: number[]): Promise<void> {
    let results: AppendResult[] | undefined;
    const started = performance.now();
    try {
      results = await this.opts.store.append(batch.map((p) => p.request));
    } catch (err) {
      this.opts.metrics?.storeErrors.inc();
      this.opts.log.error("commit.failed", { messages: batch.length, ...errorFields(err) });
      // Queued behind the failed sends, these must not overtake them: refused too.
      for (const room of rooms) {
        const behind = this.pending.get(room);
        if (!behind) continue;
        this.pending.delete(room);
        this.waiting -= behind.length;
        batch = batch.concat(behind);
      }
    }
    this.lastCommitEnd = performance.now();
    this.opts.metrics?.commitSeconds.observe((this.lastCommitEnd - started) / 1000);
    this.opts.metrics?.commitBatch.observe(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i] as Pending;
      try {
        p.done(results?.[i] ?? "failed");
      } catch (err) {
        this.opts.log.error("commit.callback_failed", errorFields(err));
      }
    }
    for (const room of rooms) this.busy.delete(room);
    this.inFlight--;
    this.flush();
  }

  /** Stops taking sends and waits until every accepted one has its answer. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.held !== undefined) {
      clearTimeout(this.held);
      this.held = undefined;
      this.flush();
    }
    if (this.inFlight === 0 && this.waiting === 0 && !this.scheduled) return;
    await new Promise<void>((resolve) => (this.drained = resolve));
  }
}
