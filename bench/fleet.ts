/**
 * A fleet: the client sockets one load process drives, and the workloads they run. Every count
 * it returns is exact; the parent checks them against what the scenario should produce.
 */
import { bodyOf, bodyOfFrame, ClientSocket, type Identity, type Target } from "./client-socket.ts";
import { Histogram, type HistogramData } from "./histogram.ts";

/** Sockets opened at once: enough to be quick, few enough not to overflow the accept backlog. */
const OPEN_CONCURRENCY = 200;

export interface BurstResult {
  /** Wall-clock ms (timeOrigin + now), comparable across processes on this machine. */
  start: number;
  end: number;
  sent: number;
  acks: number;
  deliveries: number;
  errors: string[];
}

export interface LatencyResult {
  sent: number;
  deliveries: number;
  histogram: HistogramData;
  errors: string[];
}

export interface ResumeResult {
  start: number;
  end: number;
  deliveries: number;
  behind: number;
  errors: string[];
}

const wallClock = () => performance.timeOrigin + performance.now();

async function inBatches<T>(items: readonly T[], size: number, each: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += size) {
    await Promise.all(items.slice(i, i + size).map(each));
  }
}

function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (done()) return resolve();
      if (performance.now() > deadline) return reject(new Error(`timed out: ${what}`));
      setTimeout(check, 2);
    };
    check();
  });
}

/** Waits for `work`, but no longer than `ms`; the caller checks the counts either way. */
async function within(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: Timer | undefined;
  await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

export class Fleet {
  private sockets: ClientSocket[] = [];
  private target: Target | undefined;
  private identities: Identity[] = [];

  private errors(): string[] {
    return this.sockets.flatMap((s) => s.errors).slice(0, 5);
  }

  /**
   * Opens one socket per identity and joins its room; resolves when all are live. With several
   * targets (nodes), identity i goes to node i mod n, so a room's members spread over all nodes.
   */
  async connect(targets: Target | Target[], identities: Identity[], join = true): Promise<number> {
    const nodes = Array.isArray(targets) ? targets : [targets];
    const target = nodes[0] as Target;
    this.target = target;
    this.identities = identities;
    const sockets: ClientSocket[] = new Array(identities.length);
    await inBatches(
      identities.map((id, i) => [id, i] as const),
      OPEN_CONCURRENCY,
      async ([id, i]) => {
        const socket = await ClientSocket.open(nodes[i % nodes.length] as Target, id);
        if (join) await socket.join(target.kind);
        sockets[i] = socket;
      },
    );
    this.sockets = sockets;
    return sockets.length;
  }

  /**
   * Every socket sends `perSocket` messages with at most `window` unacknowledged, as fast as
   * acks allow. Done when all acks are in and every socket has `expectedPerSocket` deliveries.
   */
  async burst(
    perSocket: number,
    window: number,
    bodyChars: number,
    expectedPerSocket: number,
    timeoutMs: number,
  ): Promise<BurstResult> {
    const body = bodyOf(bodyChars);
    const start = wallClock();
    let end = start;
    const finished = this.sockets.map(async (s) => {
      s.on.msg = () => {
        if (s.msgs === expectedPerSocket) end = Math.max(end, wallClock());
      };
      await s.pump(perSocket, window, () => body);
    });
    await within(Promise.all(finished), timeoutMs);
    await until(
      () => this.sockets.every((s) => s.msgs >= expectedPerSocket),
      Math.max(1000, timeoutMs - (wallClock() - start)),
      "deliveries",
    ).catch(() => {});
    return {
      start,
      end,
      sent: perSocket * this.sockets.length,
      acks: this.sockets.reduce((n, s) => n + s.acks, 0),
      deliveries: this.sockets.reduce((n, s) => n + s.msgs, 0),
      errors: this.errors(),
    };
  }

  /**
   * Open-loop load: `rate` messages per second in total, spread round-robin over the sockets,
   * for `durationMs`. Each delivery records send-to-receive time; the body carries the send time.
   */
  async steady(
    rate: number,
    durationMs: number,
    bodyChars: number,
    membersPerRoom: number,
  ): Promise<LatencyResult> {
    const histogram = new Histogram();
    for (const s of this.sockets) {
      s.msgs = 0;
      s.on.msg = (frame) => {
        histogram.record(performance.now() - Number.parseFloat(bodyOfFrame(frame)));
      };
    }
    const started = performance.now();
    let sent = 0;
    let next = 0;
    const total = Math.round((rate * durationMs) / 1000);
    await new Promise<void>((resolve) => {
      const tick = () => {
        const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000));
        while (sent < due) {
          const s = this.sockets[next] as ClientSocket;
          next = (next + 1) % this.sockets.length;
          s.send(bodyOf(bodyChars, `${performance.now().toFixed(3)}|`));
          sent++;
        }
        if (sent >= total) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    const expected = sent * membersPerRoom;
    const deliveries = () => this.sockets.reduce((n, s) => n + s.msgs, 0);
    await until(() => deliveries() >= expected, 30_000, "steady deliveries").catch(() => {});
    return { sent, deliveries: deliveries(), histogram: histogram.toData(), errors: this.errors() };
  }

  /** Drops every connection; returns the last seq each socket had seen, in identity order. */
  async drop(): Promise<number[]> {
    const last = this.sockets.map((s) => s.lastSeq);
    await Promise.all(this.sockets.map((s) => s.close()));
    return last;
  }

  /** Reconnects every identity at once and resumes after `after[i]`, until `head` is reached. */
  async resume(after: number[], head: Record<number, number>, timeoutMs: number) {
    const target = this.target as Target;
    const start = wallClock();
    let end = start;
    const sockets: ClientSocket[] = [];
    const opened = this.identities.map(async (id, i) => {
      const s = await ClientSocket.open(target, id, timeoutMs);
      sockets.push(s);
      const goal = head[id.room] ?? 0;
      s.lastSeq = after[i] ?? 0;
      const caughtUp = new Promise<void>((resolve) => {
        if (s.lastSeq >= goal) return resolve();
        s.on.msg = () => {
          if (s.lastSeq >= goal) resolve();
        };
      });
      await s.resume(after[i] ?? 0);
      await caughtUp;
      end = Math.max(end, wallClock());
    });
    const settled = await Promise.allSettled(opened);
    this.sockets = sockets;
    const failed = settled.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    const result: ResumeResult = {
      start,
      end,
      deliveries: sockets.reduce((n, s) => n + s.msgs, 0),
      behind: this.identities.length - (settled.length - failed.length),
      errors: [...failed.map((r) => String(r.reason)).slice(0, 3), ...this.errors()],
    };
    return result;
  }

  /**
   * Opens a socket per identity at once, on targets[i mod n], resumes its rooms (`rooms[i]`) in
   * one frame, and waits until it holds `expected[i]` messages: a reconnect storm.
   */
  async storm(
    targets: Target[],
    identities: Identity[],
    rooms: number[][],
    expected: number[],
    timeoutMs: number,
  ): Promise<ResumeResult> {
    this.identities = identities;
    this.target = targets[0];
    const start = wallClock();
    let end = start;
    const sockets: ClientSocket[] = [];
    const opened = identities.map(async (id, i) => {
      const s = await ClientSocket.open(targets[i % targets.length] as Target, id, timeoutMs);
      sockets.push(s);
      const goal = expected[i] ?? 0;
      const caughtUp = new Promise<void>((resolve) => {
        if (goal === 0) return resolve();
        s.on.msg = () => {
          if (s.msgs >= goal) resolve();
        };
      });
      await s.resumeRooms(rooms[i] ?? [], timeoutMs);
      await caughtUp;
      end = Math.max(end, wallClock());
    });
    const settled = await Promise.allSettled(opened);
    this.sockets = sockets;
    const failed = settled.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    return {
      start,
      end,
      deliveries: sockets.reduce((n, s) => n + s.msgs, 0),
      behind: failed.length,
      errors: [...failed.map((r) => String(r.reason)).slice(0, 3), ...this.errors()],
    };
  }

  /** Application-level ping round trips, one at a time, every `everyMs`, for `durationMs`. */
  async probe(durationMs: number, everyMs: number): Promise<HistogramData> {
    const histogram = new Histogram();
    const s = this.sockets[0] as ClientSocket;
    const stop = performance.now() + durationMs;
    while (performance.now() < stop) {
      histogram.record(await s.ping());
      await Bun.sleep(everyMs);
    }
    return histogram.toData();
  }

  async close(): Promise<void> {
    await Promise.all(this.sockets.map((s) => s.close()));
    this.sockets = [];
  }
}
