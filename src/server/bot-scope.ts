/**
 * What a bot's API token may do: read and write the rooms it was given, and nothing that reaches
 * past them (no room creation, DMs, contacts, device keys, other rooms' history or members).
 * A session without a scope (a person's) is never limited here.
 */
import { type ClientFrame, ParleyError } from "../protocol/index.ts";
import type { Session } from "./auth.ts";

/** WebSocket frames a bot may send, and whether each names rooms that must be in scope. */
const ALLOWED_FRAMES: ReadonlySet<string> = new Set([
  "ping",
  "rooms",
  "status",
  "join",
  "leave",
  "send",
  "resume",
  "history",
  "members",
  "typing",
  "read",
]);

export function inScope(session: Session, room: number): boolean {
  return session.scope === undefined || session.scope.has(room);
}

function outOfScope(room?: number): ParleyError {
  return new ParleyError(
    "OUT_OF_SCOPE",
    room === undefined
      ? "Bot tokens may not do that."
      : `This bot token was not given room ${room}.`,
  );
}

/** Why a bot's frame is refused, or undefined when it may go ahead. */
export function frameDenial(session: Session, frame: ClientFrame): ParleyError | undefined {
  if (session.scope === undefined) return undefined;
  if (!ALLOWED_FRAMES.has(frame.type)) return outOfScope();
  if (frame.type === "resume") {
    const denied = frame.rooms.find((r) => !inScope(session, r.room));
    return denied ? outOfScope(denied.room) : undefined;
  }
  if (frame.type === "join" && frame.room === undefined) {
    return new ParleyError("OUT_OF_SCOPE", "Bot tokens join rooms by id.");
  }
  if ("room" in frame && typeof frame.room === "number" && !inScope(session, frame.room)) {
    return outOfScope(frame.room);
  }
  return undefined;
}

/** HTTP routes a bot may call; `:room` must be in scope. Anything else is refused. */
const ALLOWED_ROUTES: readonly [string, RegExp][] = [
  ["GET", /^\/api\/me$/],
  ["GET", /^\/api\/rooms$/],
  ["POST", /^\/api\/rooms\/(\d+)\/(join|leave|files)$/],
  ["GET", /^\/api\/rooms\/(\d+)\/(messages|members)$/],
];

export function routeDenial(
  session: Session,
  method: string,
  path: string,
): ParleyError | undefined {
  if (session.scope === undefined) return undefined;
  for (const [m, pattern] of ALLOWED_ROUTES) {
    const match = method === m ? pattern.exec(path) : null;
    if (!match) continue;
    const room = match[1] === undefined ? undefined : Number(match[1]);
    return room === undefined || inScope(session, room) ? undefined : outOfScope(room);
  }
  return outOfScope();
}
