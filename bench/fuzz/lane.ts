/**
 * A fuzz lane: one user's WebSocket, fed generated frames in small windows. Every reply is
 * validated and matched to the request it quotes; every request must be answered correctly
 * unless the server legitimately closes the socket (1008 abuse, 1009 oversize), after which the
 * lane reconnects and carries on with the next frame.
 */
import { decodeServerFrame, type ServerFrame } from "../../src/protocol/index.ts";
import type { FrameGenerator, FuzzFrame } from "./generator.ts";
import {
  type Expectation,
  errorFrameProblem,
  expectationFor,
  judgeReply,
  refusalListed,
} from "./oracle.ts";
import type { Random } from "./random.ts";
import type { FuzzStats } from "./stats.ts";
import { excerpt, type Violations } from "./violations.ts";

/** A message the server acknowledged as new, as the server received it. */
export interface AckedMessage {
  room: number;
  seq: number;
  cid: string;
  body: string;
  sender: number;
}

export interface LaneOptions {
  name: string;
  wsUrl: string;
  token: string;
  userId: number;
  generator: FrameGenerator;
  /** Draws window sizes; separate from the generator so frames do not depend on it. */
  rng: Random;
  frames: number;
  maxFrameBytes: number;
  violations: Violations;
  stats: FuzzStats;
  acked: AckedMessage[];
  /** Frames sent before waiting for every answer. @default 16 */
  windowMax?: number;
  /** How long a request may go unanswered. @default 10000 */
  answerMs?: number;
}

/** The server's allowance of invalid frames per socket before it closes with 1008. */
const STRIKES = 10;

interface Pending {
  e: Expectation;
  input: string;
}

/** One socket of a lane, and what it still owes. */
export class FuzzSocket {
  readonly byRef = new Map<string, Pending[]>();
  /** Notifications without an id: each may be refused with an error quoting nothing. */
  silent = 0;
  /** Notifications with an id: answered only if refused, so never owed. */
  readonly maybe = new Map<string, Pending[]>();
  readonly noRef: Pending[] = [];
  closeExpected: Pending | undefined;
  /** Frames refused by the decoder or rate limited: each costs the socket a strike. */
  strikes = 0;
  closed: { code: number; reason: string } | undefined;
  private wake: (() => void) | undefined;

  constructor(
    readonly ws: WebSocket,
    private readonly o: LaneOptions,
    /** Every cid this lane's user has sent in a valid send, with how often: across sockets. */
    private readonly cids: Map<string, number>,
  ) {}

  get owed(): number {
    let n = this.noRef.length + (this.closeExpected ? 1 : 0);
    for (const list of this.byRef.values()) n += list.length;
    return n;
  }

  expect(e: Expectation, input: string): void {
    const p = { e, input };
    if (e.kind === "none") {
      this.silent++;
      return;
    }
    if (e.kind === "maybe") {
      this.maybe.set(e.ref, [...(this.maybe.get(e.ref) ?? []), p]);
      return;
    }
    if (e.kind === "close") this.closeExpected = p;
    else if (e.ref === undefined) this.noRef.push(p);
    else {
      const list = this.byRef.get(e.ref);
      if (list) list.push(p);
      else this.byRef.set(e.ref, [p]);
    }
    if (e.kind === "error") this.strikes++;
  }

  /** Resolves when nothing is owed, the socket closed, or the deadline passed (false). */
  settled(ms: number): Promise<boolean> {
    if (this.owed === 0 || this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve(false);
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(true);
      };
    });
  }

  poke(): void {
    if (this.wake && (this.owed === 0 || this.closed)) this.wake();
  }

  receive(text: string): void {
    const { violations, stats } = this.o;
    const decoded = decodeServerFrame(text);
    if (!decoded.ok) {
      violations.add({
        invariant: "reply-shape",
        detail: `a server frame fails its schema: ${decoded.error.message}`,
        input: excerpt(text),
      });
      return;
    }
    const f = decoded.frame;
    stats.replies.add(f.type === "error" ? `error:${f.code}` : f.type);
    if (f.type === "hello" || f.type === "msg" || f.type === "gap") return;
    if (f.type === "error") {
      const problem = errorFrameProblem(f);
      if (problem)
        violations.add({ invariant: "error-code", detail: problem, input: excerpt(text) });
      if (f.code === "RATE_LIMITED") this.strikes++;
      if (f.ref === undefined) {
        this.matchUnquoted(f, text);
        this.poke();
        return;
      }
    }
    const ref = "ref" in f ? f.ref : undefined;
    if (ref === undefined) return;
    const replies = this.byRef.get(ref) ?? [];
    const notes = this.maybe.get(ref) ?? [];
    if (replies.length + notes.length === 0) {
      violations.add({
        invariant: "reply-match",
        detail: `a reply quoting ${JSON.stringify(ref)}, which no pending request has`,
        input: excerpt(text),
      });
      return;
    }
    // Mutations can give two pending frames one id, a request and a notification among them,
    // answered in any order: give the reply to the frame it fits best, so that a notification's
    // refusal does not use up the request's entry (seed 7 once reported this as a double reply).
    const { list, index } = pickPending(replies, notes, f);
    const p = list.splice(index, 1)[0] as Pending;
    if (replies.length === 0) this.byRef.delete(ref);
    if (notes.length === 0) this.maybe.delete(ref);
    this.judge(p, f);
    this.poke();
  }

  /**
   * An error quoting no id: the decoder's refusals come in the order the frames were sent, and
   * a refused notification without an id (typing, read) may answer in between.
   */
  private matchUnquoted(f: ServerFrame, text: string): void {
    const head = this.noRef[0];
    const fitsHead = head !== undefined && judgeReply(head.e, f) === undefined;
    if (!fitsHead && this.silent > 0) {
      this.silent--;
      return;
    }
    const p = this.noRef.shift();
    if (p) this.judge(p, f);
    else {
      this.o.violations.add({
        invariant: "reply-match",
        detail: "an error nobody asked for",
        input: excerpt(text),
      });
    }
  }

  private judge(p: Pending, f: ServerFrame): void {
    const problem = judgeReply(p.e, f);
    if (problem) {
      this.o.violations.add({
        invariant: "reply-content",
        detail: `${problem} (reply ${excerpt(JSON.stringify(f), 200)})`,
        input: p.input,
      });
      return;
    }
    const sent = p.e.kind === "reply" && p.e.frame.type === "send" ? p.e.frame : undefined;
    // A duplicate must be one: this user sent this very cid before. Otherwise a new message
    // was acked and thrown away.
    if (sent && f.type === "ack" && f.duplicate && (this.cids.get(sent.cid) ?? 0) < 2) {
      this.o.violations.add({
        invariant: "false-duplicate",
        detail: `a first send of a cid was acked as a duplicate of room ${f.room} seq ${f.seq}`,
        input: p.input,
        sent: sent.cid,
        stored: f.cid,
      });
    }
    if (sent && typeof sent.body === "string" && f.type === "ack" && !f.duplicate) {
      this.o.acked.push({
        room: f.room,
        seq: f.seq,
        cid: sent.cid,
        body: sent.body,
        sender: this.o.userId,
      });
    }
  }

  onClose(code: number, reason: string): void {
    this.closed = { code, reason };
    const { violations, stats } = this.o;
    stats.closes.add(String(code));
    const legit =
      (code === 1008 && this.strikes > 0) || (code === 1009 && this.closeExpected !== undefined);
    if (!legit) {
      violations.add({
        invariant: "socket-close",
        detail: `the server closed a fuzz socket with ${code} ${reason}`.trim(),
      });
    }
    if (code === 1009) this.closeExpected = undefined;
    stats.unanswered += this.owed;
    this.poke();
  }
}

/**
 * The pending frame a reply with a shared id answers, best fit first: a request it fits exactly
 * (a decoder error of its code, a success of its type), a request whose listed refusals name the
 * code, a notification it fits, a request it fits as an unlisted refusal; else the first.
 */
function pickPending(
  replies: Pending[],
  notes: Pending[],
  f: ServerFrame,
): { list: Pending[]; index: number } {
  const fits = (p: Pending) => judgeReply(p.e, f) === undefined;
  const choices: [Pending[], (p: Pending) => boolean][] = [
    [replies, (p) => fits(p) && (p.e.kind === "error" ? f.type === "error" : f.type !== "error")],
    [replies, (p) => refusalListed(p.e, f)],
    [notes, fits],
    [replies, fits],
  ];
  for (const [list, test] of choices) {
    const index = list.findIndex(test);
    if (index >= 0) return { list, index };
  }
  return replies.length > 0 ? { list: replies, index: 0 } : { list: notes, index: 0 };
}

async function open(o: LaneOptions, cids: Map<string, number>): Promise<FuzzSocket> {
  for (let attempt = 1; ; attempt++) {
    const ws = new WebSocket(o.wsUrl, {
      headers: { authorization: `Bearer ${o.token}` },
    } as unknown as string[]);
    const socket = new FuzzSocket(ws, o, cids);
    const hello = await new Promise<string | undefined>((resolve) => {
      ws.onmessage = (e) => {
        ws.onmessage = (m) => socket.receive(String(m.data));
        socket.receive(String(e.data));
        resolve(undefined);
      };
      ws.onclose = (e) => resolve(`closed ${e.code} before hello`);
    });
    if (!hello) {
      ws.onclose = (e) => socket.onClose(e.code, e.reason);
      o.stats.connections++;
      return socket;
    }
    if (attempt >= 3) throw new Error(`lane ${o.name} cannot connect: ${hello}`);
    o.violations.add({ invariant: "connect", detail: `lane ${o.name}: ${hello}` });
    await Bun.sleep(100 * attempt);
  }
}

export async function runLane(o: LaneOptions): Promise<void> {
  const windowMax = o.windowMax ?? 16;
  const answerMs = o.answerMs ?? 10_000;
  const cids = new Map<string, number>();
  let socket = await open(o, cids);
  let sent = 0;
  while (sent < o.frames) {
    const window = Math.min(o.frames - sent, o.rng.int(1, windowMax));
    for (let i = 0; i < window; i++) {
      const frame: FuzzFrame = o.generator.next();
      // Past the strike allowance the server is about to close: frames sent now would be lost.
      if (socket.strikes > STRIKES) await socket.settled(answerMs);
      if (socket.closed || socket.ws.readyState !== WebSocket.OPEN) {
        await socket.settled(answerMs);
        socket = await open(o, cids);
      }
      const e = expectationFor(frame.data, o.maxFrameBytes);
      if (e.kind === "reply" && e.frame.type === "send") {
        cids.set(e.frame.cid, (cids.get(e.frame.cid) ?? 0) + 1);
      }
      socket.expect(e, excerpt(frame.data));
      socket.ws.send(frame.data);
      o.stats.sent.add(frame.kind);
      sent++;
    }
    if (!(await socket.settled(answerMs))) {
      const owed = [...socket.byRef.values()].flat().concat(socket.noRef);
      for (const p of owed.slice(0, 5)) {
        o.violations.add({
          invariant: "no-answer",
          detail: `lane ${o.name}: no answer within ${answerMs} ms`,
          input: p.input,
        });
      }
      socket.ws.close(1000);
      socket = await open(o, cids);
    }
  }
  await socket.settled(answerMs);
  if (!socket.closed) {
    socket.ws.onclose = null;
    socket.ws.close(1000);
  }
}
