/**
 * Group commit: sends that arrive together are stored in one transaction, and each caller hears
 * back only after that transaction is durable. One batch is in flight at a time, so callbacks run
 * in commit order and a room's messages are published in seq order.
 */
import type { AppendRequest, AppendResult, Store } from "../../db/store.ts";
import type { Logger } from "./log.ts";
import { errorFields, logContext } from "./log.ts";
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
  metrics?: Metrics | undefined;
}

export class CommitQueue {
  private pending: Pending[] = [];
  private state: "idle" | "scheduled" | "committing" = "idle";
  private closed = false;
  private readonly maxBatch: number;
  private readonly maxPending: number;
  private drained: (() => void) | undefined;

  constructor(private readonly opts: CommitQueueOptions) {
    this.maxBatch = opts.maxBatch ?? 2000;
    this.maxPending = opts.maxPending ?? 50_000;
  }

  /** False when the queue is full or closed: the caller must refuse the send, not ack it. */
  submit(request: AppendRequest, done: Committed): boolean {
    if (this.closed || this.pending.length >= this.maxPending) return false;
    this.pending.push({ request, done });
    if (this.state === "idle") {
      this.state = "scheduled";
      // setImmediate, not a microtask: every frame already read in this loop turn joins the batch.
      // Outside the submitter's log context: a batch belongs to no one connection.
      logContext.exit(() => setImmediate(() => this.flush()));
    }
    return true;
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      this.state = "committing";
      const batch =
        this.pending.length <= this.maxBatch ? this.pending : this.pending.slice(0, this.maxBatch);
      this.pending = batch === this.pending ? [] : this.pending.slice(this.maxBatch);
      let results: AppendResult[] | undefined;
      const started = performance.now();
      try {
        results = await this.opts.store.append(batch.map((p) => p.request));
      } catch (err) {
        this.opts.metrics?.storeErrors.inc();
        this.opts.log.error("commit.failed", { messages: batch.length, ...errorFields(err) });
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
    }
    this.state = "idle";
    this.drained?.();
  }

  /** Stops taking sends and waits until every accepted one has its answer. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.state !== "idle") await new Promise<void>((resolve) => (this.drained = resolve));
  }
}
