/** Turning raw WebSocket data into validated frames, with a coded error for everything else. */
import type { z } from "zod";
import { ParleyError } from "./errors.ts";
import { type ClientFrame, clientFrames, type ServerFrame, serverFrames } from "./frame.ts";
import { plainSend } from "./plain-send.ts";

export type Decoded<F> = { ok: true; frame: F } | { ok: false; error: ParleyError; ref?: string };

function fail<F>(code: ParleyError["code"], message?: string, ref?: string): Decoded<F> {
  const result: Decoded<F> = { ok: false, error: new ParleyError(code, message) };
  if (ref !== undefined) result.ref = ref;
  return result;
}

/** UTF-8 size without encoding when the answer is obvious: bytes >= UTF-16 units >= bytes / 3. */
function exceedsBytes(text: string, maxBytes: number): boolean {
  if (text.length > maxBytes) return true;
  if (text.length * 3 <= maxBytes) return false;
  return utf8Length(text) > maxBytes;
}

/** UTF-8 byte length without encoding; runs in browsers too (no Buffer). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid frame";
  const where = issue.path.length > 0 ? issue.path.join(".") : "frame";
  return `${where}: ${issue.message}`;
}

function decode<F>(
  data: string | ArrayBufferLike | Uint8Array,
  maxBytes: number,
  schemas: Record<string, z.ZodType>,
): Decoded<F> {
  if (typeof data !== "string") return fail("BAD_FRAME", "Binary frames are not supported.");
  if (exceedsBytes(data, maxBytes)) {
    return fail("FRAME_TOO_LARGE", `Frames are at most ${maxBytes} bytes.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return fail("BAD_FRAME", "The frame is not valid JSON.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail("BAD_FRAME", "A frame is a JSON object.");
  }
  const record = value as Record<string, unknown>;
  // Quote the request id only when it is one: a reply must never name a request it did not get.
  const id = record.id;
  const ref = typeof id === "string" && id.length > 0 && id.length <= 64 ? id : undefined;
  if (typeof record.type !== "string") return fail("INVALID", "type: required string", ref);
  if (schemas === clientFrames) {
    const send = plainSend(record);
    if (send) return { ok: true, frame: send as F };
  }
  const schema = Object.hasOwn(schemas, record.type) ? schemas[record.type] : undefined;
  if (!schema)
    return fail("UNKNOWN_TYPE", `Unknown frame type "${record.type.slice(0, 32)}".`, ref);
  const parsed = schema.safeParse(value);
  if (!parsed.success) return fail("INVALID", describe(parsed.error), ref);
  return { ok: true, frame: parsed.data as F };
}

export function decodeClientFrame(
  data: string | ArrayBufferLike | Uint8Array,
  maxBytes: number,
): Decoded<ClientFrame> {
  return decode<ClientFrame>(data, maxBytes, clientFrames);
}

/** Clients validate what the server sends too: a server bug surfaces as an error, not a crash. */
export function decodeServerFrame(data: string, maxBytes = 64 * 1024 * 1024): Decoded<ServerFrame> {
  return decode<ServerFrame>(data, maxBytes, serverFrames);
}

export function encodeFrame(frame: ServerFrame | ClientFrame): string {
  return JSON.stringify(frame);
}
