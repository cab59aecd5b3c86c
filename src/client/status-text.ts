/** The words for connection status, shared by the chat view and the scriptable commands. */
import type { Status } from "../client-core/connection.ts";

/** "reconnecting (attempt 2, next try in 3 s[ at URL])": the chat view re-counts the seconds. */
export function reconnectingText(
  s: Extract<Status, { kind: "reconnecting" }>,
  secondsLeft = Math.max(1, Math.ceil(s.delayMs / 1000)),
): string {
  const at = s.server ? ` at ${s.server}` : "";
  return `reconnecting (attempt ${s.attempt}, next try in ${secondsLeft} s${at}): ${s.reason}`;
}

export function statusText(s: Status): string {
  const on = "server" in s && s.server ? ` on ${s.server}` : "";
  switch (s.kind) {
    case "connecting":
      return "connecting…";
    case "connected":
      return `connected as ${s.user.name}${on}`;
    case "reconnecting":
      return reconnectingText(s);
    case "back-online":
      return `back online${on} (${s.caughtUp} missed ${s.caughtUp === 1 ? "message" : "messages"} caught up)`;
    case "stopped":
      return s.message;
  }
}
