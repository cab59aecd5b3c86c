/**
 * What the connection (and SecureDm) says, as the chat view shows it: messages become lines,
 * status changes go to the status row (and once to the log), presence and join/leave notices
 * and key changes become notes.
 */

import type { PushFrame, Status } from "../client-core/connection.ts";
import { keyChangeIsLoud, keyChangeText } from "../client-core/key-change-text.ts";
import type { Message, UserRef } from "../protocol/index.ts";
import type { ChatState } from "./chat-state.ts";
import { invitedText } from "./invitation-commands.ts";
import { showRoomEvent } from "./room-event-lines.ts";
import { reconnectingText, statusText } from "./status-text.ts";
import { sanitize } from "./text-layout.ts";

const userName = (u: UserRef) => sanitize(u.name);

/** Subscribes the view to its connection; the subscriptions end with the view. */
export function listenToConnection(s: ChatState): void {
  const { conn, screen, secure } = s;
  let ticker: ReturnType<typeof setInterval> | undefined;

  const onRoomMessage = (m: Message) => {
    // DMs are shown once opened, by SecureDm's own event.
    if (m.envelope !== undefined || s.session.isDm(m.room)) return;
    s.show(m);
  };

  const onStatus = (st: Status) => {
    clearInterval(ticker);
    ticker = undefined;
    s.refreshPending();
    switch (st.kind) {
      case "reconnecting": {
        // "Connection lost: the connection was lost." said nothing twice: the reason only if new.
        const why = /connection was lost/i.test(st.reason) ? "" : `: ${st.reason}`;
        if (!s.wasOffline) s.note(`Connection lost${why}. Reconnecting…`, "warn");
        s.wasOffline = true;
        const at = Date.now() + st.delayMs;
        const tick = () => {
          const left = Math.max(0, Math.ceil((at - Date.now()) / 1000));
          s.setStatus(reconnectingText(st, left), "warn");
          screen.render();
        };
        tick();
        ticker = setInterval(tick, 1000);
        return;
      }
      case "back-online":
        s.wasOffline = false;
        // The catch-up is said once in the log; the status row goes back to who is connected.
        s.resetStatus();
        s.note(
          `Back online${st.server ? ` on ${st.server}` : ""}: ${st.caughtUp} missed ${st.caughtUp === 1 ? "message" : "messages"} caught up.`,
          "ok",
        );
        return;
      case "stopped":
        s.setStatus(statusText(st), "error");
        s.note(st.message, "error");
        s.finish(st.reason === "session-ended" ? "session-ended" : "quit", st.message);
        return;
      default:
        s.setStatus(statusText(st), st.kind === "connected" ? "ok" : "warn");
        screen.render();
    }
  };

  const onPush = (f: PushFrame) => {
    const me = conn.user?.id;
    switch (f.type) {
      case "typing":
        if (f.user.id === me || s.blocked.has(f.user.id)) return;
        s.session.typingIn(f.room, f.user, me);
        s.composeStatus();
        screen.render();
        return;
      case "invited":
        return s.note(invitedText(f.invite), "info");
      case "removed": {
        const t = s.tracked(f.room);
        const how = { kicked: "were removed from", banned: "are banned from", deleted: "lost" }[
          f.reason
        ];
        s.note(
          `You ${how} ${t ? s.label(t) : "a room"}${f.reason === "deleted" ? ": it was deleted" : ""}.`,
          "warn",
        );
        return;
      }
      case "notice":
        // The line itself comes from the stored join or leave event (room-event-lines.ts).
        if (f.event === "left") s.session.stoppedTyping(f.room, f.user.id);
        return;
      case "presence":
        // Said once, where it matters: in the conversation on screen.
        if (f.user.id === me || s.blocked.has(f.user.id) || !s.isHere(f.room)) return;
        if (f.status === "offline") s.session.stoppedTyping(f.room, f.user.id);
        s.note(`${userName(f.user)} is ${f.status === "online" ? "online" : f.status}.`);
        return;
      case "dm_opened":
        if (f.room.peer && f.room.peer.id !== me) {
          // Its buffer joins the activity bar at once; its messages count there as they come.
          const b = s.openBuffer("dm", f.room.name);
          b.id = f.room.id;
          s.composeStatus();
          s.note(
            `${userName(f.room.peer)} opened a private conversation with you: /dm ${userName(f.room.peer)}`,
            "ok",
          );
        }
        return;
      case "devices_changed":
        return; // SecureDm fetches the keys again and says what changed
    }
  };

  s.onCleanup(
    () => clearInterval(ticker),
    conn.on("status", onStatus),
    conn.on("message", onRoomMessage),
    // Public rooms' events; a DM's or a group's are opened first and applied by SealedChanges
    // (message-commands.ts), and a group's membership versions told by SecureGroups.
    conn.on("event", (e) => {
      const sealed = s.session.isDm(e.room) || conn.summaryOf(e.room)?.kind === "group";
      if (e.envelope !== undefined || e.kind === "membership" || sealed) return;
      if (!showRoomEvent(s, e)) s.change(e);
    }),
    conn.on("push", onPush),
    conn.on("notice", (text) => s.note(text, "warn")),
    conn.on("delivered", () => {
      s.refreshPending();
      screen.render();
    }),
    conn.on("undeliverable", (item, err) => {
      s.refreshPending();
      if (err.code === "HELD") return; // SecureDm says why it waits
      s.note(`Not sent (${err.message}): ${item.body}`, "error");
    }),
  );
  if (secure) {
    s.onCleanup(
      secure.on("message", (m, content) => s.show(m, content)),
      secure.on("keys", (k) => s.note(keyChangeText(k), keyChangeIsLoud(k) ? "error" : "info")),
      secure.on("held", (peer, body) => {
        s.refreshPending();
        const who = secure.waitingOn(peer.name) === "peer" ? peer.name : (conn.user?.name ?? "");
        s.note(`Waiting, not sent: "${body}" (keys changed). /trust ${who} to send it.`, "warn");
      }),
      secure.on("problem", (text) => s.note(text, "warn")),
    );
  }
}
