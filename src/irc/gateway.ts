/**
 * The IRC listener: plain TCP on --irc-port and TLS on --irc-tls-port, with the node's
 * certificate. It cuts the byte stream into lines and guards them before any command runs: line
 * length (ERR_INPUTTOOLONG), UTF-8, the per-connection rate (the WebSocket's --rate/--burst),
 * strikes for abuse, connections per address, and a PING when a client falls silent. Each
 * connection's lines run one at a time, in order, so its messages are stored in the order sent.
 */
import type { TCPSocketListener, Socket as TcpSocket } from "bun";
import { errorFields } from "../log/log.ts";
import { TokenBucket } from "../server/rate-limit.ts";
import { dispatch } from "./commands.ts";
import { IrcConnection } from "./connection.ts";
import type { IrcContext } from "./context.ts";
import { LINE_MAX_BYTES, parseLine, serialize, TAGS_MAX_BYTES } from "./message.ts";
import { ERR } from "./numerics.ts";

interface Client {
  conn: IrcConnection;
  /** Bytes of a line not yet ended by LF. */
  partial: Uint8Array[];
  partialBytes: number;
  /** Inside an over-long line: drop bytes until its LF. */
  discarding: boolean;
  chain: Promise<void>;
  queued: number;
  /** Before login there is no ConnectionData: the limits live here. */
  frames: TokenBucket;
  strikes: TokenBucket;
}

export interface IrcGatewayOptions {
  host: string;
  /** Plain listener port; undefined: none. 0 picks a free one. */
  port: number | undefined;
  /** TLS listener port; needs tls. */
  tlsPort: number | undefined;
  tls?: { cert: string; key: string } | undefined;
}

export interface IrcGateway {
  port: number | undefined;
  tlsPort: number | undefined;
  /** Closes every connection and waits (briefly) for their sessions to be ended. */
  stop(): Promise<void>;
}

/** Lines waiting to run on one connection before it counts as a flood. */
const QUEUE_MAX = 256;
const STRIKES = 10;
/** At most 2 s (100 × 20 ms) waiting for connections to close when the node stops. */
const STOP_WAIT_STEPS = 100;
const LF = 0x0a;
const decoder = new TextDecoder("utf-8", { fatal: true });

export function startIrcGateway(ctx: IrcContext, o: IrcGatewayOptions): IrcGateway {
  const clients = new Set<Client>();
  const perAddress = new Map<string, number>();
  /** Store writes of connections that closed (sessions, read markers), not yet done. */
  const closing = new Set<Promise<void>>();
  let nextId = 1;

  function strike(client: Client): void {
    const bucket = client.conn.data?.guard.strikes ?? client.strikes;
    if (bucket.take(ctx.now())) return;
    ctx.log.warn("irc.abusive", { conn: client.conn.id, address: client.conn.address });
    client.conn.quit("Excess Flood");
  }

  function lineIn(client: Client, bytes: Uint8Array): void {
    const { conn } = client;
    if (conn.phase === "closed") return;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
    if (end === 0) return;
    const raw = bytes.subarray(0, end);
    // Tags may take TAGS_MAX_BYTES; the rest of the line, LINE_MAX_BYTES with its CR LF.
    const space = raw[0] === 0x40 ? raw.indexOf(0x20) : -1;
    const tagBytes = space >= 0 ? space + 1 : 0;
    if (tagBytes > TAGS_MAX_BYTES || raw.length - tagBytes > LINE_MAX_BYTES - 2) {
      conn.write(conn.numeric(ERR.INPUTTOOLONG, "Input line was too long"));
      strike(client);
      return;
    }
    let text: string;
    try {
      text = decoder.decode(raw);
    } catch {
      conn.write({
        source: ctx.serverName,
        command: "FAIL",
        params: ["*", "INVALID_UTF8", "Lines must be UTF-8; this one was dropped"],
      });
      strike(client);
      return;
    }
    const msg = parseLine(text);
    if (!msg) {
      strike(client);
      return;
    }
    const now = ctx.now();
    conn.lastHeard = now;
    conn.pinged = false;
    const frames = conn.data?.guard.frames ?? client.frames;
    if (!frames.take(now)) {
      conn.write({
        source: ctx.serverName,
        command: "FAIL",
        params: [msg.command.slice(0, 32), "RATE_LIMITED", "Too many requests. Slow down."],
      });
      strike(client);
      return;
    }
    if (client.queued >= QUEUE_MAX) {
      conn.quit("Excess Flood");
      return;
    }
    client.queued++;
    client.chain = client.chain
      .then(() => (conn.phase === "closed" ? undefined : dispatch(ctx, conn, msg)))
      .catch((err) => ctx.log.error("irc.line_failed", { conn: conn.id, ...errorFields(err) }))
      .finally(() => {
        client.queued--;
      });
  }

  function dataIn(client: Client, chunk: Uint8Array): void {
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(LF, start);
      if (lf < 0) break;
      const piece = chunk.subarray(start, lf);
      start = lf + 1;
      if (client.discarding) {
        client.discarding = false;
        continue;
      }
      if (client.partialBytes === 0) lineIn(client, piece);
      else {
        const whole = Buffer.concat([...client.partial, piece]);
        client.partial = [];
        client.partialBytes = 0;
        lineIn(client, whole);
      }
    }
    if (start >= chunk.length || client.discarding) return;
    const rest = chunk.slice(start);
    client.partial.push(rest);
    client.partialBytes += rest.length;
    if (client.partialBytes > TAGS_MAX_BYTES + LINE_MAX_BYTES) {
      // No LF in sight: never buffer past the longest legal line.
      client.partial = [];
      client.partialBytes = 0;
      client.discarding = true;
      client.conn.write(client.conn.numeric(ERR.INPUTTOOLONG, "Input line was too long"));
      strike(client);
    }
  }

  const handlers = {
    open(socket: TcpSocket<Client>) {
      const address = socket.remoteAddress || "unknown";
      const count = perAddress.get(address) ?? 0;
      const t = ctx.now();
      const conn = new IrcConnection(ctx, nextId++, address, {
        write: (data) => socket.write(data),
        end: () => socket.end(),
      });
      const client: Client = {
        conn,
        partial: [],
        partialBytes: 0,
        discarding: false,
        chain: Promise.resolve(),
        queued: 0,
        frames: new TokenBucket(ctx.limits.burst, ctx.limits.rate, t),
        strikes: new TokenBucket(STRIKES, 1 / 5, t),
      };
      socket.data = client;
      clients.add(client);
      perAddress.set(address, count + 1);
      if (count >= ctx.limits.perAddress) {
        ctx.log.warn("irc.refused", { address, cap: "address" });
        conn.quit("Too many connections from your address");
        return;
      }
      ctx.log.info("irc.open", { conn: conn.id });
    },
    data(socket: TcpSocket<Client>, chunk: Buffer) {
      dataIn(socket.data, chunk);
    },
    drain(socket: TcpSocket<Client>) {
      socket.data.conn.drain();
    },
    close(socket: TcpSocket<Client>) {
      const client = socket.data;
      if (!client || !clients.delete(client)) return;
      const address = client.conn.address;
      const n = (perAddress.get(address) ?? 1) - 1;
      if (n <= 0) perAddress.delete(address);
      else perAddress.set(address, n);
      const done = client.conn.closed();
      closing.add(done);
      done.finally(() => closing.delete(done));
      ctx.log.info("irc.close", { conn: client.conn.id });
    },
    error(socket: TcpSocket<Client>, err: Error) {
      ctx.log.warn("irc.socket_error", { conn: socket.data?.conn.id, ...errorFields(err) });
    },
  };

  const listeners: TCPSocketListener<Client>[] = [];
  let port: number | undefined;
  let tlsPort: number | undefined;
  if (o.port !== undefined) {
    const l = Bun.listen<Client>({ hostname: o.host, port: o.port, socket: handlers });
    listeners.push(l);
    port = l.port;
  }
  if (o.tlsPort !== undefined && o.tls) {
    const l = Bun.listen<Client>({
      hostname: o.host,
      port: o.tlsPort,
      tls: { cert: Bun.file(o.tls.cert), key: Bun.file(o.tls.key) },
      socket: handlers,
    });
    listeners.push(l);
    tlsPort = l.port;
  }

  const heartbeatMs = ctx.limits.heartbeat * 1000;
  const keepalive = setInterval(
    () => {
      const now = ctx.now();
      for (const { conn } of clients) {
        const idle = now - conn.lastHeard;
        if (conn.phase === "registering" && idle > heartbeatMs) conn.quit("Registration timed out");
        else if (conn.phase === "registered" && idle > 2 * heartbeatMs) conn.quit("Ping timeout");
        else if (conn.phase === "registered" && idle > heartbeatMs && !conn.pinged) {
          conn.pinged = true;
          conn.writeLine(serialize({ command: "PING", params: [ctx.serverName] }));
        }
      }
    },
    Math.max(1000, heartbeatMs / 4),
  );
  keepalive.unref();

  return {
    port,
    tlsPort,
    async stop() {
      clearInterval(keepalive);
      for (const { conn } of clients) conn.quit("Server shutting down");
      for (const l of listeners) l.stop(true);
      // Their close handlers write to the store, which closes after this: let them finish.
      for (let i = 0; i < STOP_WAIT_STEPS && clients.size > 0; i++) await Bun.sleep(20);
      await Promise.all(closing);
    },
  };
}
