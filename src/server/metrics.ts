/**
 * Parley's metrics: one object, created per node and handed to the parts that count things.
 * Every hook in the other modules is one short line (`o.metrics?.x.inc()`), so the counting
 * stays out of their logic. Names are prefixed `parley_`; docs/operations.md lists them.
 */
import {
  type Bus,
  type BusEnvelope,
  type BusHooks,
  type Deliver,
  EPHEMERAL_SEQ,
} from "../bus/bus.ts";
import { Counter, Gauge, Histogram, Registry } from "./metrics-registry.ts";

/** Live readings the node already keeps: read at scrape time, never copied. */
export interface MetricsSources {
  connections: () => number;
  usersOnline: () => number;
}

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const BATCH = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000];
/** How often the event loop's lag is sampled, and how many samples the gauge shows the worst of. */
const LAG_SAMPLE_MS = 500;
const LAG_WINDOW = 10;

export class Metrics {
  readonly registry = new Registry();
  private readonly lagSamples: number[] = [];
  private lagTimer: ReturnType<typeof setInterval> | undefined;

  readonly messagesAccepted = this.counter(
    "parley_messages_accepted_total",
    "Messages stored and acknowledged (retries of a stored message not counted).",
  );
  readonly messagesDelivered = this.counter(
    "parley_messages_delivered_total",
    "Live message frames handed to this node's sockets.",
  );
  readonly messagesReplayed = this.counter(
    "parley_messages_replayed_total",
    "Stored messages sent to a socket while it caught up on a room.",
  );
  readonly commitBatch = this.registry.add(
    new Histogram("parley_commit_batch_size", "Messages per group-commit transaction.", BATCH),
  );
  readonly commitSeconds = this.registry.add(
    new Histogram("parley_commit_seconds", "Time to make one group-commit batch durable.", SECONDS),
  );
  readonly replays = this.counter(
    "parley_replays_total",
    "Times a socket was attached to a room by replaying from the store (join, resume, DM).",
  );
  readonly resumes = this.counter("parley_resumes_total", "resume frames answered.");
  readonly gapFrames = this.counter(
    "parley_gap_frames_total",
    "gap frames sent: a resume missed more than --replay-max messages of a room.",
  );
  readonly rateLimited = this.counter(
    "parley_rate_limited_total",
    "Requests refused by a rate limit or cap, by reason (frames, login, signup, connections, webhook).",
  );
  readonly strikes = this.counter(
    "parley_strikes_total",
    "Strikes against a socket, by reason (invalid_frame, rate_limited, closed when it ran out).",
  );
  readonly errors = this.counter(
    "parley_errors_total",
    "Coded errors answered over HTTP or WebSocket, by code.",
  );
  readonly busPublishLag = this.registry.add(
    new Histogram(
      "parley_bus_publish_lag_seconds",
      "From publishing a committed message on the bus to this node receiving it back.",
      SECONDS,
    ),
  );
  readonly busReconnects = this.counter(
    "parley_bus_reconnects_total",
    "Times the bus lost its link and got it back.",
  );
  readonly storeErrors = this.counter(
    "parley_store_errors_total",
    "Store operations that failed (a failed commit batch counts once).",
  );
  readonly logins = this.counter("parley_logins_total", "Login attempts, by result.");
  readonly registrations = this.counter(
    "parley_registrations_total",
    "Accounts created by registration.",
  );

  constructor(sources: MetricsSources) {
    this.registry.add(
      new Gauge("parley_connections_open", "Open WebSocket connections.", sources.connections),
    );
    this.registry.add(
      new Gauge(
        "parley_users_online",
        "Users with at least one open connection to this node.",
        sources.usersOnline,
      ),
    );
    this.registry.add(
      new Gauge(
        "parley_event_loop_lag_seconds",
        `Worst delay of a ${LAG_SAMPLE_MS} ms timer over the last ${(LAG_SAMPLE_MS * LAG_WINDOW) / 1000} s: how long the event loop was busy.`,
        () => Math.max(0, ...this.lagSamples),
      ),
    );
  }

  private counter(name: string, help: string): Counter {
    return this.registry.add(new Counter(name, help));
  }

  /** Starts sampling event-loop lag; the timer never keeps the process alive. */
  start(now: () => number = performance.now.bind(performance)): void {
    if (this.lagTimer) return;
    let expected = now() + LAG_SAMPLE_MS;
    this.lagTimer = setInterval(() => {
      const t = now();
      this.lagSamples.push(Math.max(0, t - expected) / 1000);
      if (this.lagSamples.length > LAG_WINDOW) this.lagSamples.shift();
      expected = t + LAG_SAMPLE_MS;
    }, LAG_SAMPLE_MS);
    this.lagTimer.unref();
  }

  stop(): void {
    clearInterval(this.lagTimer);
    this.lagTimer = undefined;
  }

  render(): string {
    return this.registry.render();
  }
}

/** Most own envelopes awaiting their echo; past it the oldest are forgotten (not measured). */
const LAG_PENDING_MAX = 10_000;

/**
 * An envelope's key among those awaiting their echo: a number, as the full-text index's rowid
 * (a `room:seq` string cost 1 µs a message to build and hash, five times the rest of this
 * metric). Exact for room ids below 2^21; past that two messages may share a key, which can
 * only mis-time one sample of this histogram.
 */
function lagKey(e: BusEnvelope): number {
  return e.room * 4294967296 + e.seq;
}

/**
 * Wraps a bus to time each committed message from publish to its arrival back at this node:
 * zero-ish for the in-process bus, a Redis round trip across nodes. Nothing else changes.
 */
export function meteredBus(bus: Bus, metrics: Metrics, clock: () => number): Bus {
  const pending = new Map<number, number>();
  return {
    start(deliver: Deliver, hooks?: BusHooks) {
      return bus.start((e: BusEnvelope) => {
        const key = lagKey(e);
        const at = pending.get(key);
        if (at !== undefined) {
          pending.delete(key);
          metrics.busPublishLag.observe((clock() - at) / 1000);
        }
        deliver(e);
      }, hooks);
    },
    publish(e: BusEnvelope) {
      if (e.seq !== EPHEMERAL_SEQ) {
        if (pending.size >= LAG_PENDING_MAX) pending.delete(pending.keys().next().value as number);
        pending.set(lagKey(e), clock());
      }
      bus.publish(e);
    },
    watch: (room: number) => bus.watch(room),
    unwatch: (room: number) => bus.unwatch(room),
    signal: (message: string) => bus.signal(message),
    close: () => bus.close(),
  };
}
