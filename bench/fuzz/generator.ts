/**
 * The WebSocket frame generator: from a seeded Random it makes valid frames, mutations of them,
 * boundary lengths, awkward Unicode, number-ish tokens, deep nesting and plain garbage. The
 * frames depend only on the seed and the context, never on the server's answers, so a seed
 * replays the same inputs.
 */
import { CLIENT_ID_MAX, MESSAGE_MAX_CHARS } from "../../src/protocol/index.ts";
import { AWKWARD_CHARS, awkwardText, deepJson, NUMBER_TOKENS, randomUnits } from "./corpus.ts";
import { type Member, members, objectText, raw } from "./json-text.ts";
import { mutate } from "./mutation.ts";
import type { Random } from "./random.ts";

export interface FrameContext {
  /** Request ids start with this, so lanes never share one. */
  lane: string;
  /** Rooms worth aiming at: the lane's own, the bystanders', others, missing ones. */
  rooms: readonly number[];
  /** Room names worth aiming at, for join by name and create. */
  roomNames: readonly string[];
  /** Users worth aiming at (DMs, contacts, blocks, devices): names and ids, some missing. */
  userNames: readonly string[];
  userIds: readonly number[];
  maxFrameBytes: number;
  /** Weights by kind, to override the default mix (e.g. mostly valid, to reach rate limits). */
  mix?: Partial<Record<FrameKind, number>>;
}

export type FrameKind =
  | "valid"
  | "mutated"
  | "boundary"
  | "unicode"
  | "number"
  | "deep"
  | "json-edge"
  | "random-text"
  | "binary";

export interface FuzzFrame {
  kind: FrameKind;
  data: string | Uint8Array<ArrayBuffer>;
}

/** The hard limit: Bun closes the socket with 1009 past this many bytes. */
export const HARD_FRAME_BYTES = 1024 * 1024;

const DEFAULT_MIX: Record<FrameKind, number> = {
  valid: 14,
  mutated: 30,
  boundary: 10,
  unicode: 12,
  number: 10,
  deep: 4,
  "json-edge": 8,
  "random-text": 6,
  binary: 4,
};

const TYPES = [
  "ping",
  "rooms",
  "create",
  "join",
  "leave",
  "send",
  "resume",
  "history",
  "members",
  "typing",
  "read",
  "status",
  "dm",
  "contacts",
  "contact_add",
  "contact_remove",
  "block",
  "unblock",
  "dm_policy",
  "device",
  "devices",
] as const;

const JSON_EDGES: readonly string[] = [
  "",
  " ",
  "null",
  "true",
  "0",
  "-0",
  "1e400",
  '""',
  "[]",
  "{}",
  '{"type":"ping"}',
  '{"type":"ping","id":""}',
  '{"type":"ping","id":null}',
  '{"type":"ping","id":7}',
  '{"type":"ping","id":"e1"} trailing',
  '\ufeff{"type":"ping","id":"e2"}',
  "{'type':'ping','id':'e3'}",
  '{"type":"ping","id":"e4",}',
  '/*c*/{"type":"ping","id":"e5"}',
  '{"type":"ping","id":"e6"}{"type":"ping","id":"e7"}',
  '{"__proto__":{"type":"ping"},"id":"e8"}',
  '{"type":"ping","id":"e9","__proto__":{"id":"zz"}}',
  '{"type":"ping","id":"e\\u0000"}',
  '{"type":"ping","id":"\\ud800"}',
  '{"type":"\\u0070ing","id":"e10"}',
  '{"type":"ping","id":"e11"',
  '{"type":"ping","id":"e12"}}',
  '[{"type":"ping","id":"e13"}]',
  '"{\\"type\\":\\"ping\\"}"',
  "\u0000",
  "{\u0000}",
  '{"type":"resume","id":"e14","rooms":{}}',
  '{"type":"resume","id":"e15","rooms":[null]}',
  '{"type":"resume","id":"e16","rooms":[[1,0]]}',
  '{"type":"join","id":"e17"}',
  '{"type":"join","id":"e18","room":null}',
  '{"type":"history","id":"e19","room":1,"before":1,"after":0}',
];

export class FrameGenerator {
  private count = 0;

  constructor(
    private readonly rng: Random,
    private readonly ctx: FrameContext,
  ) {}

  next(): FuzzFrame {
    const kind = this.rng.weighted<FrameKind>(
      Object.entries({ ...DEFAULT_MIX, ...this.ctx.mix }).map(
        ([k, w]) => [w, k as FrameKind] as const,
      ),
    );
    return { kind, data: this.make(kind) };
  }

  private make(kind: FrameKind): string | Uint8Array<ArrayBuffer> {
    const rng = this.rng;
    switch (kind) {
      case "valid":
        return objectText(this.valid());
      case "mutated":
        return mutate(rng, this.valid());
      case "boundary":
        return this.boundary();
      case "unicode":
        return this.unicode();
      case "number":
        return this.number();
      case "deep":
        return this.deep();
      case "json-edge":
        return rng.pick(JSON_EDGES);
      case "random-text":
        return randomUnits(
          rng,
          rng.weighted([
            [6, rng.int(0, 40)],
            [2, rng.int(41, 2000)],
            [1, rng.int(2001, 40_000)],
          ]),
        );
      case "binary":
        return rng.chance(0.3)
          ? new TextEncoder().encode(objectText(this.valid()))
          : rng.bytes(rng.int(0, 300));
    }
  }

  private id(): string {
    return `${this.ctx.lane}.${++this.count}`;
  }

  private room(): number {
    return this.rng.pick(this.ctx.rooms);
  }

  private seqValue(): number {
    return this.rng.weighted([
      [6, this.rng.int(0, 60)],
      [1, 0],
      [1, Number.MAX_SAFE_INTEGER],
    ]);
  }

  private body(): string {
    return this.rng.weighted([
      [6, () => awkwardText(this.rng, this.rng.int(1, 40))],
      [2, () => `fuzz ${this.count}`],
      [1, () => awkwardText(this.rng, this.rng.int(200, 1500))],
    ])();
  }

  /** A well-formed request of a random type, as a member list. */
  private valid(type = this.rng.pick(TYPES)): Member[] {
    const rng = this.rng;
    const id = this.id();
    switch (type) {
      case "ping":
      case "rooms":
        return members({ type, id });
      case "create":
        return members({
          type,
          id,
          name: rng.chance(0.7)
            ? `fz${rng.int(0, 1e9).toString(36)}`
            : rng.pick(this.ctx.roomNames),
          topic: rng.chance(0.5) ? awkwardText(rng, rng.int(0, 30)) : undefined,
        });
      case "join":
        return rng.chance(0.7)
          ? members({
              type,
              id,
              room: this.room(),
              after: rng.chance(0.5) ? this.seqValue() : undefined,
            })
          : members({ type, id, name: rng.pick(this.ctx.roomNames) });
      case "leave":
        return members({ type, id, room: this.room() });
      case "send":
        return members({
          type,
          id,
          room: this.room(),
          cid: rng.weighted([
            [16, () => `${id}c`],
            [3, () => `dup${rng.int(0, 20)}`],
            // Distinct cids that differ only in a lone surrogate: each must be its own message.
            [1, () => `lone${rng.int(0, 3)}${rng.pick(["\ud800", "\udbff", "\udc00", "\udfff"])}`],
          ])(),
          body: this.body(),
        });
      case "resume":
        return members({
          type,
          id,
          rooms: Array.from({ length: rng.int(0, 5) }, () => ({
            room: this.room(),
            after: this.seqValue(),
          })),
        });
      case "history": {
        const q = rng.int(0, 3);
        return members({
          type,
          id,
          room: this.room(),
          before: q === 1 || q === 3 ? this.seqValue() : undefined,
          after: q === 2 || q === 3 ? this.seqValue() : undefined,
          limit: rng.chance(0.5) ? rng.int(1, 200) : undefined,
        });
      }
      case "typing":
      case "read":
        // Notifications: the id is optional, and a success gets no reply.
        return members({
          type,
          id: rng.chance(0.5) ? id : undefined,
          room: this.room(),
          seq: type === "read" ? this.seqValue() : undefined,
        });
      case "status":
        return members({ type, id, status: rng.pick(["online", "away", "away", "offline"]) });
      case "dm":
        return members({ type, id, user: this.user(), after: rng.chance(0.3) ? 0 : undefined });
      case "contact_add":
      case "contact_remove":
      case "block":
      case "unblock":
        return members({ type, id, user: this.user() });
      case "dm_policy":
        return members({ type, id, policy: rng.pick(["everyone", "contacts", "nobody"]) });
      case "device":
        return members({ type, id, bundle: this.bundle() });
      case "devices":
        return members({
          type,
          id,
          users: Array.from({ length: rng.int(1, 4) }, () => rng.pick(this.ctx.userIds)),
        });
      case "contacts":
        return members({ type, id });
      default:
        return members({ type: "members", id, room: this.room() });
    }
  }

  private user(): string {
    return this.rng.pick(this.ctx.userNames);
  }

  /** Something shaped like a device bundle, with random keys: the server must refuse it cleanly. */
  private bundle(): Record<string, unknown> {
    const rng = this.rng;
    const b64 = (n: number) => Buffer.from(rng.bytes(n)).toString("base64url");
    return {
      device: b64(16),
      identity: b64(32),
      signing: b64(32),
      exchange: b64(32),
      createdAt: rng.int(0, 2 ** 40),
      signature: b64(64),
    };
  }

  /** Lengths at, just under and just over every limit. */
  private boundary(): string {
    const rng = this.rng;
    const around = (limit: number) => rng.pick([0, 1, limit - 1, limit, limit + 1]);
    const unit = rng.pick(["x", " ", "\u{1f600}", "e\u0301", "\u200b", "\u00e9"]);
    // The 1 MiB cases (4) cost a megabyte each and a reconnect: rarer than the rest.
    switch (
      rng.weighted([
        [4, 0],
        [3, 1],
        [3, 2],
        [4, 3],
        [1, 4],
        [2, 5],
        [2, 6],
        [3, 7],
      ])
    ) {
      case 0: {
        // Bodies counted in code points: an astral character is one, a combining pair two.
        const points = around(MESSAGE_MAX_CHARS);
        const perUnit = [...unit].length;
        let body = unit.repeat(Math.floor(points / perUnit));
        body += "x".repeat(points - [...body].length);
        return objectText(this.sendWith({ body: raw(body) }));
      }
      case 1:
        return objectText(this.sendWith({ cid: raw(this.stringOf(around(CLIENT_ID_MAX), unit)) }));
      case 2: {
        const list = this.valid("ping");
        list[1] = ["id", raw(this.stringOf(around(64), unit))];
        return objectText(list);
      }
      case 3:
        return this.sized(around(this.ctx.maxFrameBytes), unit);
      case 4:
        return this.sized(
          rng.pick([HARD_FRAME_BYTES - 1, HARD_FRAME_BYTES, HARD_FRAME_BYTES + 1]),
          "x",
        );
      case 5:
        return objectText([...this.valid("history").slice(0, 3), ["limit", raw(around(200))]]);
      case 6: {
        const n = rng.pick([0, 1, 999, 1000, 1001]);
        const rooms = Array.from({ length: n }, () => ({ room: this.room(), after: 0 }));
        return objectText(members({ type: "resume", id: this.id(), rooms }));
      }
      default: {
        const big = rng.pick([2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 31, 2 ** 32]);
        const field = rng.pick(["room", "after", "before"]);
        return objectText([...this.valid("history").slice(0, 3), [field, String(big)]]);
      }
    }
  }

  /** `units` copies of `unit`, trimmed to exactly `length` UTF-16 units (lone halves allowed). */
  private stringOf(length: number, unit: string): string {
    return unit.repeat(length).slice(0, length);
  }

  private sendWith(fields: Record<string, string>): Member[] {
    return this.valid("send").map(([k, v]) => [k, fields[k] ?? v] as Member);
  }

  /** A valid ping padded to exactly `bytes` bytes of UTF-8, with multi-byte padding near the end. */
  private sized(bytes: number, unit: string): string {
    const head = `{"type":"ping","id":"${this.id()}","pad":"`;
    const tail = '"}';
    let room = bytes - Buffer.byteLength(head + tail);
    if (room < 0) return head.slice(0, bytes);
    // The units used here need no JSON escaping, so bytes on the wire are exactly counted.
    const unitBytes = Buffer.byteLength(unit);
    const units = Math.max(0, Math.min(16, Math.floor(room / unitBytes)));
    room -= units * unitBytes;
    return head + "x".repeat(room) + unit.repeat(units) + tail;
  }

  /** A valid frame with awkward Unicode in one of its strings. */
  private unicode(): string {
    const rng = this.rng;
    const list = this.valid();
    const strings = list.map(([, v], i) => (v.startsWith('"') ? i : -1)).filter((i) => i >= 0);
    const i = rng.pick(strings);
    const member = list[i] as Member;
    const current = JSON.parse(member[1]) as string;
    const extra = rng.chance(0.5) ? rng.pick(AWKWARD_CHARS) : awkwardText(rng, rng.int(1, 10));
    const at = rng.int(0, current.length);
    const next = rng.chance(0.2) ? extra : current.slice(0, at) + extra + current.slice(at);
    list[i] = [member[0], raw(next)];
    return objectText(list);
  }

  /** A valid frame with a number-ish token where a number (or any value) belongs. */
  private number(): string {
    const rng = this.rng;
    const list = this.valid(rng.pick(["join", "leave", "send", "history", "members", "resume"]));
    const numeric = list
      .map(([k], i) => (k === "type" || k === "id" ? -1 : i))
      .filter((i) => i >= 0);
    const token = rng.pick(NUMBER_TOKENS);
    if (numeric.length === 0) return objectText([...list, ["room", token]]);
    const i = rng.pick(numeric);
    const member = list[i] as Member;
    if (member[0] === "rooms")
      list[i] = ["rooms", `[{"room":${token},"after":${rng.pick(NUMBER_TOKENS)}}]`];
    else list[i] = [member[0], token];
    return objectText(list);
  }

  private deep(): string {
    const rng = this.rng;
    const depth = rng.pick([2, 10, 100, 1000, 5000, 10_000, 15_000, 100_000]);
    if (rng.chance(0.3)) return deepJson(rng, depth);
    const list = this.valid(rng.pick(["send", "history", "resume", "join"]));
    const i = rng.int(1, list.length - 1);
    list[i] = [(list[i] as Member)[0], deepJson(rng, depth)];
    return objectText(list);
  }
}
