/** A raw IRC client for tests: sends lines, records every line received, waits for one. */
import { type IrcMessage, parseLine } from "../../src/irc/message.ts";

export interface Received extends IrcMessage {
  raw: string;
}

export class IrcTestClient {
  readonly lines: Received[] = [];
  closed = false;
  /** Answer the server's PINGs, as a real client does. */
  autoPong = false;
  private buffer = "";
  private waiters: (() => void)[] = [];
  private socket!: Bun.Socket<undefined>;

  static async connect(
    port: number,
    options: { tls?: { ca: string } } = {},
  ): Promise<IrcTestClient> {
    const c = new IrcTestClient();
    // Bun's TLS client drops what is written before its handshake ends: wait for it.
    let shaken: () => void = () => {};
    const handshake = new Promise<void>((resolve) => {
      shaken = resolve;
    });
    c.socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      ...(options.tls ? { tls: { ca: options.tls.ca, serverName: "localhost" } } : {}),
      socket: {
        data: (_s, chunk) => c.received(chunk.toString("utf8")),
        close: () => {
          c.closed = true;
          c.wake();
        },
        error: () => {},
        handshake: () => shaken(),
      },
    });
    if (options.tls) await handshake;
    return c;
  }

  private received(text: string): void {
    this.buffer += text;
    for (;;) {
      const i = this.buffer.indexOf("\r\n");
      if (i < 0) break;
      const raw = this.buffer.slice(0, i);
      this.buffer = this.buffer.slice(i + 2);
      const m = parseLine(raw);
      if (!m) continue;
      this.lines.push({ ...m, raw });
      if (this.autoPong && m.command === "PING") this.send(`PONG :${m.params[0] ?? ""}`);
    }
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  send(...lines: string[]): void {
    this.socket.write(lines.map((l) => `${l}\r\n`).join(""));
  }

  /** Raw bytes, CR LF not added. */
  sendRaw(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  /** Waits for a line after index `from` matching the predicate; returns it. */
  async waitFor(
    match: (m: Received) => boolean,
    options: { from?: number; ms?: number; what?: string } = {},
  ): Promise<Received> {
    const deadline = Date.now() + (options.ms ?? 15_000);
    for (;;) {
      const found = this.lines.slice(options.from ?? 0).find(match);
      if (found) return found;
      if (this.closed)
        throw new Error(`closed while waiting for ${options.what ?? "a line"}:\n${this.dump()}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${options.what ?? "a line"}:\n${this.dump()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  command(command: string, from = 0, ms?: number): Promise<Received> {
    return this.waitFor((m) => m.command === command, {
      from,
      what: command,
      ...(ms ? { ms } : {}),
    });
  }

  async waitClosed(ms = 15_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error(`still open:\n${this.dump()}`);
      await Bun.sleep(20);
    }
  }

  dump(): string {
    return this.lines.map((l) => l.raw).join("\n");
  }

  close(): void {
    this.socket.end();
  }
}

export function saslPlain(name: string, password: string): string {
  return Buffer.from(`\u0000${name}\u0000${password}`).toString("base64");
}

/** Connects, negotiates the capabilities, logs in with SASL PLAIN and waits for the welcome. */
export async function loginIrc(
  port: number,
  account: { name: string; password: string },
  caps: string[] = [],
): Promise<IrcTestClient> {
  const c = await IrcTestClient.connect(port);
  c.send("CAP LS 302", `NICK ${account.name}`, "USER u 0 * :Test");
  c.send(`CAP REQ :${["sasl", ...caps].join(" ")}`);
  await c.waitFor((m) => m.command === "CAP" && m.params[1] === "ACK", { what: "CAP ACK" });
  c.send("AUTHENTICATE PLAIN");
  await c.waitFor((m) => m.command === "AUTHENTICATE", { what: "AUTHENTICATE +" });
  c.send(`AUTHENTICATE ${saslPlain(account.name, account.password)}`);
  await c.waitFor((m) => m.command === "903" || m.command === "904", { what: "SASL result" });
  c.send("CAP END");
  await c.command("376");
  return c;
}
