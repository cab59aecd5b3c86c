/** A raw protocol client for tests: HTTP helpers and a WebSocket that records every frame. */
import type { ClientFrame, ServerFrame, ServerFrameOf } from "../../src/protocol/index.ts";

export interface Account {
  user: { id: number; name: string };
  token: string;
}

let counter = 0;
/** A unique-enough suffix so names never collide across tests sharing a server. */
export function unique(prefix = "u"): string {
  counter++;
  return `${prefix}${process.pid % 1000}${counter}${Math.floor(Math.random() * 1e4)}`.slice(0, 32);
}

export async function api<T = unknown>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

export async function register(
  base: string,
  username = unique(),
  password = "correct horse",
): Promise<Account> {
  const res = await api<Account>(base, "POST", "/api/register", { username, password });
  if (res.status !== 201)
    throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function createRoom(base: string, token: string, name = unique("r")): Promise<number> {
  const res = await api<{ room: { id: number } }>(base, "POST", "/api/rooms", { name }, token);
  if (res.status !== 201)
    throw new Error(`create room failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.room.id;
}

/** The bodies stored in a room, oldest first (up to 200): what the server will replay. */
export async function storedBodies(base: string, token: string, room: number): Promise<string[]> {
  const res = await api<{ messages: { body: string }[] }>(
    base,
    "GET",
    `/api/rooms/${room}/messages?after=0&limit=200`,
    undefined,
    token,
  );
  return res.body.messages.map((m) => m.body);
}

export async function joinRoom(base: string, token: string, room: number): Promise<void> {
  const res = await api(base, "POST", `/api/rooms/${room}/join`, undefined, token);
  if (res.status !== 200) throw new Error(`join failed: ${res.status} ${JSON.stringify(res.body)}`);
}

type Msg = ServerFrameOf<"msg">;
/** Any client frame, with the request id optional (request() fills it in). */
export type Request = ClientFrame extends infer F
  ? F extends { type: string }
    ? Omit<F, "id"> & { id?: string }
    : never
  : never;

/**
 * How long a socket waits for a reply or a frame unless told otherwise. A frame takes
 * milliseconds on an idle machine, but the CI machine runs the suite on 2 loaded cores with
 * browsers and child servers beside it: a wait gives up only when something is truly missing.
 */
const WAIT_MS = 15_000;

export class TestSocket {
  readonly frames: ServerFrame[] = [];
  readonly opened: Promise<ServerFrameOf<"hello">>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: {
    match: (f: ServerFrame) => boolean;
    resolve: (f: ServerFrame) => void;
    reject?: (err: Error) => void;
  }[] = [];
  private nextId = 0;

  constructor(readonly ws: WebSocket) {
    this.opened = new Promise((resolve, reject) => {
      ws.addEventListener("error", () => reject(new Error("websocket error")), { once: true });
      this.waiters.push({
        match: (f) => f.type === "hello",
        resolve: resolve as (f: ServerFrame) => void,
      });
    });
    this.closed = new Promise((resolve) =>
      ws.addEventListener("close", (e) => {
        // Nothing more will arrive: fail whoever still waits, instead of letting them time out.
        for (const w of this.waiters.splice(0)) w.reject?.(new Error(`socket closed (${e.code})`));
        resolve({ code: e.code, reason: e.reason });
      }),
    );
    ws.addEventListener("message", (e) => {
      const frame = JSON.parse(String(e.data)) as ServerFrame;
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(frame)) return true;
        w.resolve(frame);
        return false;
      });
    });
  }

  raw(data: string | Uint8Array<ArrayBuffer>): void {
    this.ws.send(data);
  }

  /** Sends a request (an id is filled in) and resolves with the reply that quotes it. */
  async request<F extends ServerFrame = ServerFrame>(
    frame: Request,
    timeoutMs = WAIT_MS,
  ): Promise<F> {
    const id = frame.id ?? `t${++this.nextId}`;
    const reply = this.waitFor((f) => "ref" in f && f.ref === id, timeoutMs);
    this.ws.send(JSON.stringify({ ...frame, id }));
    return (await reply) as F;
  }

  /** Resolves with the first frame, already received or still to come, that matches. */
  waitFor(match: (f: ServerFrame) => boolean, timeoutMs = WAIT_MS): Promise<ServerFrame> {
    const seen = this.frames.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `timed out waiting for a frame; last: ${JSON.stringify(this.frames.slice(-3))}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({
        match,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
    });
  }

  messages(room?: number): Msg[] {
    return this.frames.filter(
      (f): f is Msg => f.type === "msg" && (room === undefined || f.room === room),
    );
  }

  /** The seqs of the room's log entries (messages and events) this socket got, as they came. */
  entrySeqs(room: number): number[] {
    return this.frames.flatMap((f) =>
      (f.type === "msg" || f.type === "event") && f.room === room ? [f.seq] : [],
    );
  }

  /** Waits until `count` msg frames for the room have arrived. */
  async waitForMessages(room: number, count: number, timeoutMs = WAIT_MS): Promise<Msg[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages(room).length < count) {
      if (Date.now() > deadline)
        throw new Error(`got ${this.messages(room).length} of ${count} messages`);
      await Bun.sleep(5);
    }
    return this.messages(room);
  }

  close(code = 1000): Promise<{ code: number; reason: string }> {
    this.ws.close(code);
    return this.closed;
  }
}

export async function connect(wsUrl: string, token: string): Promise<TestSocket> {
  const ws = new WebSocket(wsUrl, {
    headers: { authorization: `Bearer ${token}` },
  } as unknown as string[]);
  const socket = new TestSocket(ws);
  await socket.opened;
  return socket;
}

/**
 * Alice and Bob registered, Alice's room `name` with Bob joined, and Bob's socket in it: the
 * other side of a test about what Alice's client shows.
 */
export async function aliceAndBobIn(
  server: { url: string; wsUrl: string },
  name: string,
): Promise<{ alice: Account; bob: Account; room: number; b: TestSocket }> {
  const alice = await register(server.url, unique("al"));
  const bob = await register(server.url, unique("bo"));
  const room = await createRoom(server.url, alice.token, name);
  await joinRoom(server.url, bob.token, room);
  const b = await connect(server.wsUrl, bob.token);
  await b.request({ type: "join", room });
  return { alice, bob, room, b };
}
