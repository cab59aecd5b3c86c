/**
 * Bystanders: two well-behaved users chatting in their own room throughout a fuzz run. Each
 * must receive every seq of the room's log (messages and events: joins, leaves, edits…) exactly
 * once and in order (the fuzzer may join and write there too), and see its own messages
 * acknowledged; nothing the fuzzer does may disturb them.
 */
import { decodeServerFrame, isValidMessage, type Message } from "../../src/protocol/index.ts";
import { awkwardText } from "./corpus.ts";
import type { Random } from "./random.ts";
import type { FuzzStats } from "./stats.ts";
import { excerpt, type Violations } from "./violations.ts";

export interface BystanderOptions {
  name: string;
  wsUrl: string;
  token: string;
  userId: number;
  room: number;
  violations: Violations;
  stats: FuzzStats;
}

export class Bystander {
  readonly received: Message[] = [];
  /** Own messages the server acknowledged as new: seq → what was sent. */
  readonly acked = new Map<number, { cid: string; body: string }>();
  private last = 0;
  private nextId = 0;
  private readonly pendingSends = new Map<string, { cid: string; body: string }>();
  private readonly replies = new Map<string, (ok: boolean, seq?: number) => void>();
  private leaving = false;

  private constructor(
    private readonly ws: WebSocket,
    private readonly o: BystanderOptions,
  ) {}

  get userId(): number {
    return this.o.userId;
  }

  get lastSeq(): number {
    return this.last;
  }

  static async connect(o: BystanderOptions): Promise<Bystander> {
    const ws = new WebSocket(o.wsUrl, {
      headers: { authorization: `Bearer ${o.token}` },
    } as unknown as string[]);
    const b = new Bystander(ws, o);
    await new Promise<void>((resolve, reject) => {
      ws.onmessage = (e) => {
        ws.onmessage = (m) => b.receive(String(m.data));
        resolve();
        b.receive(String(e.data));
      };
      ws.onclose = (e) => reject(new Error(`bystander ${o.name} closed ${e.code} before hello`));
    });
    ws.onclose = (e) => {
      if (!b.leaving) {
        o.violations.add({
          invariant: "bystander-closed",
          detail: `bystander ${o.name}'s socket closed with ${e.code} ${e.reason}`.trim(),
        });
      }
      for (const settle of b.replies.values()) settle(false);
    };
    // Attached from seq 0: the whole room, then live, each seq once.
    if (!(await b.request({ type: "join", room: o.room, after: 0 }))) {
      throw new Error(`bystander ${o.name} could not join`);
    }
    return b;
  }

  private request(frame: Record<string, unknown>, timeoutMs = 10_000): Promise<boolean> {
    const id = `b${++this.nextId}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.replies.delete(id);
        this.o.violations.add({
          invariant: "bystander-stalled",
          detail: `bystander ${this.o.name} got no answer to ${frame.type} within ${timeoutMs} ms`,
        });
        resolve(false);
      }, timeoutMs);
      this.replies.set(id, (ok) => {
        clearTimeout(timer);
        this.replies.delete(id);
        resolve(ok);
      });
      this.ws.send(JSON.stringify({ ...frame, id }));
    });
  }

  /** Sends one message and waits for its ack. */
  async say(n: number, rng: Random): Promise<boolean> {
    const cid = `${this.o.name}-${n}`;
    // Awkward but valid: whatever the protocol's own rule accepts, else plain text.
    const awkward = `${this.o.name} #${n} ${awkwardText(rng, rng.int(0, 30))}`;
    const body = isValidMessage(awkward) ? awkward : `${this.o.name} #${n}`;
    const pending = { cid, body };
    this.pendingSends.set(cid, pending);
    const ok = await this.request({ type: "send", room: this.o.room, cid, body });
    this.pendingSends.delete(cid);
    return ok;
  }

  private receive(text: string): void {
    const { violations, name, room } = this.o;
    const decoded = decodeServerFrame(text);
    if (!decoded.ok) {
      violations.add({
        invariant: "reply-shape",
        detail: `bystander ${name} got a frame that fails its schema: ${decoded.error.message}`,
        input: excerpt(text),
      });
      return;
    }
    const f = decoded.frame;
    switch (f.type) {
      case "hello":
        return;
      case "msg":
      case "event": {
        if (f.room !== room) {
          violations.add({ invariant: "bystander-order", detail: `${name} got room ${f.room}` });
          return;
        }
        if (f.seq !== this.last + 1) {
          violations.add({
            invariant: "bystander-order",
            detail: `bystander ${name} expected seq ${this.last + 1}, got ${f.seq}`,
          });
          if (f.seq <= this.last) return;
        }
        this.last = f.seq;
        if (f.type === "event") return;
        const { type: _, ...m } = f;
        this.received.push(m);
        this.o.stats.bystanderMessages++;
        return;
      }
      case "ack": {
        const sent = this.pendingSends.get(f.cid);
        if (sent && !f.duplicate) this.acked.set(f.seq, sent);
        this.replies.get(f.ref)?.(true, f.seq);
        return;
      }
      case "joined":
        this.replies.get(f.ref)?.(true);
        return;
      case "error":
        violations.add({
          invariant: "bystander-refused",
          detail: `bystander ${name} was refused: ${f.code} ${f.message}`,
        });
        if (f.ref !== undefined) this.replies.get(f.ref)?.(false);
        return;
      default:
        // Presence, typing, notices, DM openings: valid frames about other things.
        if ("ref" in f) {
          violations.add({ invariant: "bystander-order", detail: `${name} got a ${f.type} reply` });
        }
    }
  }

  /** Waits until this bystander has every seq up to `head`. */
  async caughtUp(head: number, timeoutMs = 15_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.last < head) {
      if (Date.now() > deadline) return false;
      await Bun.sleep(10);
    }
    return true;
  }

  close(): void {
    this.leaving = true;
    this.ws.close(1000);
  }
}

/** The pair takes turns sending until `stop()` says so; `gapMs` between messages. */
export async function converse(
  pair: readonly [Bystander, Bystander],
  rng: Random,
  gapMs: number,
  stop: () => boolean,
): Promise<number> {
  let n = 0;
  while (!stop()) {
    const speaker = pair[n % 2] as Bystander;
    n++;
    if (!(await speaker.say(n, rng))) break;
    await Bun.sleep(gapMs);
  }
  return n;
}
