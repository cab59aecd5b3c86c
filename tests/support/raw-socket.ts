/**
 * A WebSocket spoken by hand over TCP, for the clients no library will play: one that never
 * answers pings, one that stops reading, and one (the fuzzer) that sends what no library sends:
 * invalid UTF-8, reserved opcodes and RSV bits, continuations with no start, oversized or
 * fragmented control frames, unmasked frames. It reads the server's frames and its close code.
 */
import { connect, type Socket } from "node:net";

export interface RawFrame {
  opcode: number;
  payload: Buffer;
}

export interface RawFrameSpec {
  fin: boolean;
  /** The three reserved bits, as 0–7. */
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Uint8Array;
}

export function encodeFrame(f: RawFrameSpec): Buffer {
  const len = f.payload.length;
  const head: number[] = [(f.fin ? 0x80 : 0) | ((f.rsv & 7) << 4) | (f.opcode & 0x0f)];
  const maskBit = f.masked ? 0x80 : 0;
  if (len < 126) head.push(maskBit | len);
  else if (len < 65_536) head.push(maskBit | 126, len >> 8, len & 0xff);
  else {
    head.push(maskBit | 127, 0, 0, 0, 0);
    head.push((len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff);
  }
  if (!f.masked) return Buffer.concat([Buffer.from(head), f.payload]);
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = (f.payload[i] as number) ^ (mask[i % 4] as number);
  return Buffer.concat([Buffer.from(head), mask, body]);
}

export class RawSocket {
  readonly frames: RawFrame[] = [];
  /** Set once the server sent a close frame (its code) or the TCP connection ended (1006). */
  closeCode: number | undefined;
  readonly ended: Promise<void>;
  private buffer = Buffer.alloc(0);
  private onFrame: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    this.ended = new Promise((resolve) =>
      socket.once("close", () => {
        this.closeCode ??= 1006;
        this.onFrame?.();
        resolve();
      }),
    );
    socket.on("error", () => {});
  }

  static async open(wsUrl: string, token: string): Promise<RawSocket> {
    const u = new URL(wsUrl);
    const socket = connect({ host: u.hostname, port: Number(u.port) });
    const wire = new RawSocket(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
    socket.write(
      `GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
    await new Promise<void>((resolve, reject) => {
      let upgraded = false;
      socket.on("data", (chunk: Buffer) => {
        wire.buffer = Buffer.concat([wire.buffer, chunk]);
        if (!upgraded) {
          const end = wire.buffer.indexOf("\r\n\r\n");
          if (end < 0) return;
          const head = wire.buffer.subarray(0, end).toString();
          if (!head.startsWith("HTTP/1.1 101")) return reject(new Error(head.split("\r\n")[0]));
          upgraded = true;
          wire.buffer = wire.buffer.subarray(end + 4);
          resolve();
        }
        wire.parse();
      });
      socket.once("close", () => reject(new Error("closed during the upgrade")));
    });
    return wire;
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
      const frame = { opcode: (b[0] as number) & 0x0f, payload: b.subarray(offset, offset + len) };
      this.frames.push(frame);
      if (frame.opcode === 8) this.closeCode ??= len >= 2 ? frame.payload.readUInt16BE(0) : 1005;
      this.buffer = b.subarray(offset + len);
      this.onFrame?.();
    }
  }

  send(spec: RawFrameSpec): void {
    if (!this.socket.destroyed) this.socket.write(encodeFrame(spec));
  }

  /** Resolves with the first new frame matching, or undefined once closed or after `ms`. */
  waitFor(
    match: (f: RawFrame) => boolean,
    from: number,
    ms: number,
  ): Promise<RawFrame | "timeout" | undefined> {
    return new Promise((resolve) => {
      const check = () => {
        const found = this.frames.slice(from).find(match);
        if (found || this.closeCode !== undefined) {
          clearTimeout(timer);
          this.onFrame = undefined;
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        this.onFrame = undefined;
        resolve("timeout");
      }, ms);
      this.onFrame = check;
      check();
    });
  }

  /** The same promise as `ended`, named for the tests that wait on it. */
  get closed(): Promise<void> {
    return this.ended;
  }

  /** One masked, final text frame, as a well-behaved client sends. */
  sendText(text: string): void {
    this.send({ fin: true, rsv: 0, opcode: 1, masked: true, payload: Buffer.from(text) });
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
