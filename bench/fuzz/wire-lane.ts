/**
 * The wire lane: malformed WebSocket framing rather than malformed JSON. Text frames of random
 * (mostly invalid UTF-8) bytes, reserved opcodes and bits, stray continuations, unmasked frames,
 * oversized control frames, odd close frames, and valid fragmented messages. After each one a
 * valid ping must be answered, or the server must have closed the socket: never a hang, never
 * a crash. Valid framing (fragments, control pings) must be answered, not closed on.
 */
import { decodeServerFrame } from "../../src/protocol/index.ts";
import type { Random } from "./random.ts";
import type { FuzzStats } from "./stats.ts";
import { excerpt, type Violations } from "./violations.ts";
import { type RawFrameSpec, WireSocket } from "./wire.ts";

export interface WireLaneOptions {
  name: string;
  wsUrl: string;
  token: string;
  rng: Random;
  frames: number;
  violations: Violations;
  stats: FuzzStats;
}

interface WireCase {
  kind: string;
  frames: RawFrameSpec[];
  /** Well-formed framing: the server must keep the socket and answer the probe. */
  valid: boolean;
}

const text = (s: string) => new TextEncoder().encode(s);
const frame = (opcode: number, payload: Uint8Array, extra: Partial<RawFrameSpec> = {}) => ({
  fin: true,
  rsv: 0,
  opcode,
  masked: true,
  payload,
  ...extra,
});

/** UTF-8 that decoders must refuse: overlong forms, encoded surrogates, cut sequences. */
const BAD_UTF8 = [
  [0xc0, 0xaf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
  [0xff],
  [0xfe, 0xfe, 0xff, 0xff],
];

function generate(rng: Random, n: number): WireCase {
  const ping = `{"type":"ping","id":"x${n}"}`;
  switch (rng.int(0, 11)) {
    case 0:
      return {
        kind: "text-random-bytes",
        frames: [frame(1, rng.bytes(rng.int(0, 200)))],
        valid: false,
      };
    case 1: {
      const bad = Uint8Array.from(rng.pick(BAD_UTF8));
      const payload = Buffer.concat([text('{"type":"ping","id":"'), bad, text('"}')]);
      return { kind: "text-invalid-utf8", frames: [frame(1, payload)], valid: false };
    }
    case 2:
      return {
        kind: "reserved-opcode",
        frames: [frame(rng.pick([3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), rng.bytes(rng.int(0, 20)))],
        valid: false,
      };
    case 3:
      return {
        kind: "rsv-bits",
        frames: [frame(1, text(ping), { rsv: rng.int(1, 7) })],
        valid: false,
      };
    case 4:
      return { kind: "stray-continuation", frames: [frame(0, text(ping))], valid: false };
    case 5:
      return { kind: "unmasked", frames: [frame(1, text(ping), { masked: false })], valid: false };
    case 6:
      return {
        kind: "big-control",
        frames: [frame(9, rng.bytes(rng.int(126, 300)))],
        valid: false,
      };
    case 7:
      return {
        kind: "fragmented-control",
        frames: [frame(9, rng.bytes(4), { fin: false })],
        valid: false,
      };
    case 8: {
      const payloads = [
        Uint8Array.from([3]),
        Uint8Array.from([0x03, 0xe7]), // 999
        Uint8Array.from([0x03, 0xed]), // 1005, never sent on the wire
        Uint8Array.from([0x13, 0x88]), // 5000
        Uint8Array.from([0x03, 0xe8, 0xff, 0xfe]), // 1000 with an invalid UTF-8 reason
      ];
      return { kind: "odd-close", frames: [frame(8, rng.pick(payloads))], valid: false };
    }
    case 9: {
      // A valid message in fragments, with a control ping between them.
      const whole = text(`{"type":"ping","id":"f${n}"}`);
      const cut = rng.int(1, whole.length - 1);
      return {
        kind: "fragmented-valid",
        frames: [
          frame(1, whole.subarray(0, cut), { fin: false }),
          frame(9, rng.bytes(rng.int(0, 125))),
          frame(0, whole.subarray(cut)),
        ],
        valid: true,
      };
    }
    case 10:
      return { kind: "control-ping", frames: [frame(9, rng.bytes(rng.int(0, 125)))], valid: true };
    default:
      return {
        kind: "binary-random-bytes",
        frames: [frame(2, rng.bytes(rng.int(0, 200)))],
        valid: false,
      };
  }
}

export async function runWireLane(o: WireLaneOptions): Promise<void> {
  const { violations, stats } = o;
  let socket: WireSocket | undefined;
  for (let n = 0; n < o.frames; n++) {
    const c = generate(o.rng, n);
    if (!socket || socket.closeCode !== undefined) {
      socket?.destroy();
      socket = await WireSocket.open(o.wsUrl, o.token);
      stats.connections++;
    }
    const from = socket.frames.length;
    for (const f of c.frames) socket.send(f);
    socket.send(frame(1, text(`{"type":"ping","id":"w${n}"}`)));
    stats.sent.add(`wire:${c.kind}`);
    const pong = await socket.waitFor(
      (f) => f.opcode === 1 && f.payload.includes(`"ref":"w${n}"`),
      from,
      10_000,
    );
    for (const f of socket.frames.slice(from)) {
      if (f.opcode !== 1) continue;
      const decoded = decodeServerFrame(f.payload.toString());
      if (!decoded.ok) {
        violations.add({
          invariant: "reply-shape",
          detail: `wire lane: a server frame fails its schema: ${decoded.error.message}`,
          input: excerpt(f.payload.toString()),
        });
      } else if (decoded.frame.type === "error" && decoded.frame.code === "INTERNAL") {
        violations.add({ invariant: "error-code", detail: `wire lane: INTERNAL after ${c.kind}` });
      }
    }
    if (pong === "timeout") {
      violations.add({
        invariant: "no-answer",
        detail: `wire lane: after ${c.kind}, neither an answer nor a close within 10 s`,
      });
      socket.destroy();
      socket = undefined;
      continue;
    }
    if (socket.closeCode !== undefined) {
      stats.closes.add(`wire:${socket.closeCode}`);
      if (c.valid && !pong) {
        violations.add({
          invariant: "socket-close",
          detail: `wire lane: well-formed ${c.kind} framing closed the socket (${socket.closeCode})`,
        });
      }
    }
    if (c.kind === "fragmented-valid" && pong) {
      const answered = socket.frames
        .slice(from)
        .some((f) => f.opcode === 1 && f.payload.includes(`"ref":"f${n}"`));
      if (!answered) {
        violations.add({
          invariant: "reply-match",
          detail: "wire lane: a fragmented ping got no pong",
        });
      }
    }
  }
  socket?.destroy();
}
