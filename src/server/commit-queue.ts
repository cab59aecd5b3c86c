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
  private closed = false;
  private readonly maxBatch: number;
  private readonly maxPending: number;
  private readonly maxConcurrent: number;
  private drained: (() => void) | undefined;

  constructor(private readonly opts: CommitQueueOptions) {
    this.maxBatch = opts.maxBatch ?? 2000;
    this.maxPending = opts.maxPending ?? 50_000;
    this.maxConcurrent = Math.max(1, opts.maxConcurrent ?? 4);
  }

  /** False when the queue is full or closed: the caller must refuse the send, not ack it. */
  submit(request: AppendRequest, done: Committed): boolean {
    if (this.closed || this.waiting >= this.maxPending) return false;
    const queue = this.pending.get(request.room);
    if (queue) queue.push({ request, done });
    else this.pending.set(request.room, [{ request, done }]);
    this.waiting++;
    if (!this.scheduled) {
      this.scheduled = true;
      // setImmediate, not a microtask: every frame already read in this loop turn joins the batch.
      // Outside the submitter's log context: a batch belongs to no one connection.
      logContext.exit(() =>
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        }),
      );
    }
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
    this.opts.metrics?.commitSeconds.observe((performance.now() - started) / 1000);
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
    if (this.inFlight === 0 && this.waiting === 0 && !this.scheduled) return;
    await new Promise<void>((resolve) => (this.drained = resolve));
  }
}
