/** The words for connection status, shared by the chat view and the scriptable commands. */
import type { Status } from "./connection.ts";

export function statusText(s: Status): string {
  switch (s.kind) {
    case "connecting":
      return "connecting…";
    case "connected":
      return `connected as ${s.user.name}`;
    case "reconnecting": {
      const secs = Math.max(1, Math.ceil(s.delayMs / 1000));
      return `reconnecting (attempt ${s.attempt}, next try in ${secs} s): ${s.reason}`;
    }
    case "back-online":
      return `back online (${s.caughtUp} missed ${s.caughtUp === 1 ? "message" : "messages"} caught up)`;
    case "stopped":
      return s.message;
  }
}
