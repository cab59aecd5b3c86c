/**
 * The WebSocket commands of communities (moderation, the topic, room deletion, invite codes and
 * the audit log), merged into connection.ts's one command table. What each needs of its sender
 * in the room is declared in requirements.ts and checked before these run.
 */

import type { Store } from "../../db/store.ts";
import {
  type ClientFrameOf,
  encodeFrame,
  HISTORY_PAGE_DEFAULT,
  type ServerFrame,
} from "../protocol/index.ts";
import { roomAuditLog } from "./audit-log.ts";
import type { Chat } from "./chat.ts";
import type { Socket } from "./hub.ts";
import type { Invitations } from "./invitations.ts";
import type { Moderation } from "./moderation.ts";
import { attach, type Replay } from "./replay.ts";

export interface CommunityDeps {
  store: Store;
  chat: Chat;
  moderation: Moderation;
  invitations: Invitations;
  replay: Replay;
}

type CommunityFrame =
  | "moderate"
  | "topic"
  | "delete_room"
  | "rename_room"
  | "archive_room"
  | "invite_create"
  | "invites"
  | "invite_revoke"
  | "invite_redeem"
  | "audit"
  | "invite_user"
  | "user_invites"
  | "invite_answer";

type Handlers = {
  [T in CommunityFrame]: (ws: Socket, frame: ClientFrameOf<T>) => Promise<void>;
};

/** What these frames cost of the connection's rate bucket (see FRAME_COST). */
export const COMMUNITY_FRAME_COST: Record<CommunityFrame, number> = {
  moderate: 3,
  topic: 2,
  delete_room: 10,
  rename_room: 5,
  archive_room: 5,
  invite_create: 5,
  invites: 3,
  invite_revoke: 2,
  invite_redeem: 5,
  audit: 3,
  invite_user: 5,
  user_invites: 2,
  invite_answer: 5,
};

function send(ws: Socket, frame: ServerFrame): void {
  ws.send(encodeFrame(frame));
}

export function communityCommands(d: CommunityDeps): Handlers {
  const user = (ws: Socket) => ws.data.session.user;
  return {
    async moderate(ws, f) {
      await d.moderation.moderate(user(ws), f);
      send(ws, { type: "ok", ref: f.id });
    },
    async topic(ws, f) {
      await d.moderation.setTopic(user(ws), f.room, f.topic);
      send(ws, { type: "ok", ref: f.id });
    },
    async delete_room(ws, f) {
      await d.moderation.deleteRoom(user(ws), f.room, f.reason);
      send(ws, { type: "ok", ref: f.id });
    },
    async rename_room(ws, f) {
      await d.moderation.rename(user(ws), f.room, f.name);
      send(ws, { type: "ok", ref: f.id });
    },
    async archive_room(ws, f) {
      await d.moderation.archive(user(ws), f.room);
      send(ws, { type: "ok", ref: f.id });
    },
    async invite_create(ws, f) {
      const invite = await d.invitations.create(user(ws), f.room, f);
      send(ws, { type: "invite", ref: f.id, invite });
    },
    async invites(ws, f) {
      const invites = await d.invitations.list(f.room);
      send(ws, { type: "invites", ref: f.id, room: f.room, invites });
    },
    async invite_revoke(ws, f) {
      await d.invitations.revoke(user(ws), f.room, f.invite);
      send(ws, { type: "ok", ref: f.id });
    },
    async invite_redeem(ws, f) {
      const room = await d.invitations.redeem(user(ws), f.code);
      const summary = await d.chat.join(user(ws), { room });
      await attach(d.replay, ws, room, { recent: HISTORY_PAGE_DEFAULT });
      send(ws, { type: "joined", ref: f.id, room: summary });
    },
    async invite_user(ws, f) {
      await d.invitations.users.invite(user(ws), f.room, f.user, f.seconds);
      send(ws, { type: "ok", ref: f.id });
    },
    async user_invites(ws, f) {
      send(ws, {
        type: "user_invites",
        ref: f.id,
        invites: await d.invitations.users.mine(user(ws)),
      });
    },
    async invite_answer(ws, f) {
      await d.invitations.users.answer(user(ws), f.room, f.accept);
      if (!f.accept) return send(ws, { type: "ok", ref: f.id });
      const summary = await d.chat.join(user(ws), { room: f.room });
      await attach(d.replay, ws, f.room, { recent: HISTORY_PAGE_DEFAULT });
      send(ws, { type: "joined", ref: f.id, room: summary });
    },
    async audit(ws, f) {
      const entries = await roomAuditLog(d.store, f.room);
      send(ws, { type: "audit", ref: f.id, room: f.room, entries });
    },
  };
}
