/**
 * One bench client: a WebSocket that speaks Parley's protocol (token auth, join or resume, send
 * with client ids) or the bare relay's subset of it, and counts what it receives.
 *
 * Received frames are classified by their prefix, not parsed: both servers encode `type` first,
 * and parsing a million deliveries would make the bench measure the client, not the server.
 */

export type TargetKind = "parley" | "relay";

export interface Target {
  kind: TargetKind;
  wsUrl: string;
}

/** A seeded user with a live session, and the room this client sits in. */
export interface Identity {
  user: number;
  name: string;
  token: string;
  room: number;
}

export interface ClientSocketEvents {
  /** An ack for one of this socket's sends. */
  ack?: () => void;
  /** A `msg` delivery; `data` is the raw frame. */
  msg?: (data: string) => void;
}

/** A body of the given size in characters; the bench sends the same bytes to both servers. */
export function bodyOf(chars: number, prefix = ""): string {
  return prefix + "x".repeat(Math.max(1, chars - prefix.length));
}

/** The seq of a raw `msg` frame: `{"type":"msg","room":R,"seq":S,…`. */
export function seqOf(frame: string): number {
  const at = frame.indexOf(',"seq":') + 7;
  return Number.parseInt(frame.slice(at, frame.indexOf(",", at)), 10);
}

/** The text of a raw frame's body, which the bench always sends last and without escapes. */
export function bodyOfFrame(frame: string): string {
  return frame.slice(frame.lastIndexOf(',"body":"') + 9, -2);
}

function connectUrl(target: Target, id: Identity): string {
  if (target.kind === "parley") return target.wsUrl;
  return `${target.wsUrl}?room=${id.room}&user=${id.user}&name=${encodeURIComponent(id.name)}`;
}

export class ClientSocket {
  acks = 0;
  msgs = 0;
  /** The highest seq received in the socket's room. */
  lastSeq = 0;
  readonly errors: string[] = [];
  on: ClientSocketEvents = {};
  private nextCid = 0;
  private waiting: { prefix: string; resolve: (frame: string) => void } | undefined;
  readonly closed: Promise<void>;

  private constructor(
    readonly ws: WebSocket,
    readonly id: Identity,
  ) {
    this.closed = new Promise((resolve) => ws.addEventListener("close", () => resolve()));
    ws.addEventListener("message", (e) => this.receive(e.data as string));
  }

  /** Connects and waits for the server's first frame (hello, or the relay's joined). */
  static async open(target: Target, id: Identity, timeoutMs = 30_000): Promise<ClientSocket> {
    const ws = new WebSocket(connectUrl(target, id), {
      headers: target.kind === "parley" ? { authorization: `Bearer ${id.token}` } : {},
    } as unknown as string[]);
    const socket = new ClientSocket(ws, id);
    const first = target.kind === "parley" ? '{"type":"hello"' : '{"type":"joined"';
    await socket.expect(first, timeoutMs, () => {
      ws.addEventListener("error", () => socket.fail("websocket error before open"));
    });
    return socket;
  }

  private fail(why: string): void {
    this.errors.push(why);
    const w = this.waiting;
    this.waiting = undefined;
    w?.resolve("");
  }

  private receive(data: string): void {
    if (data.startsWith('{"type":"msg"')) {
      this.msgs++;
      this.lastSeq = seqOf(data);
      this.on.msg?.(data);
      return;
    }
    if (data.startsWith('{"type":"ack"')) {
      this.acks++;
      this.on.ack?.();
      return;
    }
    if (data.startsWith('{"type":"error"')) this.errors.push(data.slice(0, 300));
    const w = this.waiting;
    if (w && data.startsWith(w.prefix)) {
      this.waiting = undefined;
      w.resolve(data);
    }
  }

  /** Resolves with the next frame that starts with `prefix`; rejects after the timeout. */
  async expect(prefix: string, timeoutMs = 30_000, before?: () => void): Promise<string> {
    let timer: Timer | undefined;
    const frame = await new Promise<string>((resolve, reject) => {
      const w = { prefix, resolve };
      this.waiting = w;
      timer = setTimeout(
        () => reject(new Error(`no ${prefix} frame in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.closed.then(() => {
        if (this.waiting === w) this.fail(`closed while waiting for ${prefix}`);
      });
      before?.();
    }).finally(() => clearTimeout(timer));
    if (this.errors.length > 0) throw new Error(this.errors.join("; "));
    return frame;
  }

  /** Joins the identity's room (Parley); the relay has already joined it at the upgrade. */
  async join(kind: TargetKind): Promise<void> {
    if (kind === "relay") return;
    const reply = this.expect('{"type":"joined"');
    this.ws.send(JSON.stringify({ type: "join", id: "j", room: this.id.room }));
    await reply;
  }

  /** Resumes the room after `after`; the missed messages arrive before the `resumed` reply. */
  async resume(after: number): Promise<string> {
    const reply = this.expect('{"type":"resumed"');
    this.ws.send(
      JSON.stringify({ type: "resume", id: "r", rooms: [{ room: this.id.room, after }] }),
    );
    return reply;
  }

  /** Resumes several rooms after 0 in one frame; resolves with the `resumed` reply. */
  async resumeRooms(rooms: readonly number[], timeoutMs = 30_000): Promise<string> {
    const reply = this.expect('{"type":"resumed"', timeoutMs);
    this.ws.send(
      JSON.stringify({ type: "resume", id: "r", rooms: rooms.map((room) => ({ room, after: 0 })) }),
    );
    return reply;
  }

  /** Sends one message with a fresh client id (unique per user, so never a duplicate). */
  send(body: string, room = this.id.room): void {
    const cid = `${this.id.user}.${++this.nextCid}`;
    this.ws.send(JSON.stringify({ type: "send", id: cid, room, cid, body }));
  }

  /** An application-level ping: its round trip includes the server's event-loop delay. */
  async ping(timeoutMs = 10_000): Promise<number> {
    const reply = this.expect('{"type":"pong"', timeoutMs);
    const started = performance.now();
    this.ws.send('{"type":"ping","id":"p"}');
    await reply;
    return performance.now() - started;
  }

  /**
   * Sends `total` messages keeping at most `window` unacknowledged; resolves at the last ack.
   * `make(i)` gives the body of the i-th message.
   */
  pump(total: number, window: number, make: (i: number) => string): Promise<void> {
    if (total === 0) return Promise.resolve();
    let sent = 0;
    let acked = 0;
    return new Promise((resolve) => {
      this.on.ack = () => {
        acked++;
        if (sent < total) this.send(make(sent++));
        else if (acked === total) resolve();
      };
      while (sent < Math.min(window, total)) this.send(make(sent++));
    });
  }

  close(): Promise<void> {
    this.ws.close(1000);
    return this.closed;
  }
}
