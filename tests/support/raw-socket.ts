/**
 * A WebSocket spoken by hand over TCP, for the clients no library will play: one that never
 * answers pings, and one that stops reading. It sees the frames (and pings) the server sends.
 */
import { connect, type Socket } from "node:net";

export interface RawFrame {
  opcode: number;
  payload: Buffer;
}

export class RawSocket {
  readonly frames: RawFrame[] = [];
  readonly closed: Promise<void>;
  private buffer = Buffer.alloc(0);
  private upgraded = false;

  private constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => {});
  }

  static async open(url: string, token: string): Promise<RawSocket> {
    const u = new URL(url);
    const socket = connect({ host: u.hostname, port: Number(u.port) });
    const raw = new RawSocket(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
    socket.write(
      [
        `GET ${u.pathname} HTTP/1.1`,
        `Host: ${u.host}`,
        "Upgrade: websocket",
        "Connection: Upgrade",
        `Sec-WebSocket-Key: ${key}`,
        "Sec-WebSocket-Version: 13",
        `Authorization: Bearer ${token}`,
        "",
        "",
      ].join("\r\n"),
    );
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        raw.buffer = Buffer.concat([raw.buffer, chunk]);
        if (!raw.upgraded) {
          const end = raw.buffer.indexOf("\r\n\r\n");
          if (end < 0) return;
          const head = raw.buffer.subarray(0, end).toString();
          if (!head.startsWith("HTTP/1.1 101")) return reject(new Error(head));
          raw.upgraded = true;
          raw.buffer = raw.buffer.subarray(end + 4);
          resolve();
        }
        raw.parse();
      };
      socket.on("data", onData);
    });
    return raw;
  }

  private parse(): void {
    for (;;) {
      const b = this.buffer;
      if (b.length < 2) return;
      let len = (b[1] as number) & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      if (b.length < offset + len) return;
      this.frames.push({
        opcode: (b[0] as number) & 0x0f,
        payload: b.subarray(offset, offset + len),
      });
      this.buffer = b.subarray(offset + len);
    }
  }

  /** Sends one masked frame, as a client must. */
  send(opcode: number, payload: Buffer | string): void {
    const data = typeof payload === "string" ? Buffer.from(payload) : payload;
    const mask = Buffer.from(crypto.getRandomValues(new Uint8Array(4)));
    const head =
      data.length < 126
        ? Buffer.from([0x80 | opcode, 0x80 | data.length])
        : Buffer.from([0x80 | opcode, 0x80 | 126, data.length >> 8, data.length & 0xff]);
    const body = Buffer.alloc(data.length);
    for (let i = 0; i < data.length; i++) body[i] = (data[i] as number) ^ (mask[i % 4] as number);
    this.socket.write(Buffer.concat([head, mask, body]));
  }

  text(): string[] {
    return this.frames.filter((f) => f.opcode === 1).map((f) => f.payload.toString());
  }

  pings(): number {
    return this.frames.filter((f) => f.opcode === 9).length;
  }

  /** Stops reading: the kernel buffers fill and the server's send buffer grows. */
  stopReading(): void {
    this.socket.pause();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
