/**
 * The records of communities (issue 13): room visibility and roles, moderation actions, the
 * audit log, invites, reports and server accounts. Re-exported by store.ts.
 */
import type { RoomEvent, UserRef } from "../src/protocol/index.ts";
import type { AppendRequest, AppendResult } from "./message-log.ts";

export type RoomVisibility = "public" | "private";
export type RoomRole = "owner" | "moderator" | "member";

/** A member's standing in a room. */
export interface RoomStanding {
  role: RoomRole;
  /** Until when (ms) the member may read but not send; 0 or past: not muted. */
  mutedUntil: number;
}

/**
 * A moderation action, applied with its audit row in one transaction (Store.moderate). The
 * rights are checked before (src/server/moderation.ts); the store only makes it so.
 */
export type ModerationAct =
  | { action: "kick"; target: number }
  /** until: ms, or null for a ban without end. The user stops being a member. */
  | { action: "ban"; target: number; until: number | null }
  | { action: "unban"; target: number }
  | { action: "mute"; target: number; until: number }
  | { action: "unmute"; target: number }
  | { action: "role"; target: number; role: "moderator" | "member" }
  /** The target becomes owner, the actor a moderator. */
  | { action: "transfer"; target: number }
  | { action: "topic"; topic: string }
  /** name_key is nameKey(name); a clash with another room is ROOM_NAME_TAKEN. */
  | { action: "rename"; name: string; key: string }
  /** The room becomes read-only: messages, edits and reactions are refused ROOM_ARCHIVED. */
  | { action: "archive" }
  | { action: "delete_room" };

/** The parameters of an action other than its name and target, as the audit row keeps them. */
export function actDetail(act: ModerationAct): string {
  const { action: _a, ...rest } = act;
  // A rename's name_key is derived from its name: the audit row keeps the name only.
  const { target: _t, key: _k, ...detail } = rest as Record<string, unknown>;
  return Object.keys(detail).length === 0 ? "" : JSON.stringify(detail);
}

export function actTarget(act: ModerationAct): number | undefined {
  return "target" in act ? act.target : undefined;
}

export interface ModerationRecord {
  room: number;
  actor: UserRef;
  act: ModerationAct;
  reason: string;
  now: number;
}

/** One row of the audit log. */
export interface AuditEntry {
  id: number;
  /** The room acted on; absent for a server-wide (admin) action. */
  room?: number;
  actor: UserRef;
  action: string;
  target?: UserRef;
  reason: string;
  /** The action's parameters as JSON text ("" when none): a ban's end, a new topic, a role. */
  detail: string;
  at: number;
}

export interface NewInvite {
  room: number;
  /** SHA-256 of the code, hex: the code itself is never stored. */
  codeHash: string;
  by: UserRef;
  now: number;
  expiresAt: number;
  maxUses: number;
}

export interface InviteRecord {
  id: number;
  room: number;
  createdBy: number | null;
  createdAt: number;
  expiresAt: number;
  maxUses: number;
  uses: number;
  revokedAt?: number;
}

/** A live invitation of a user by name, as its invitee lists it. */
export interface UserInvite {
  room: number;
  name: string;
  by?: UserRef;
  expiresAt: number;
}

/**
 * A redemption: `joined` when the membership began, then with `event`, the join (body "invite")
 * stored in the same transaction (inviteJoin), which the server publishes.
 */
export type InviteRedemption =
  | { ok: true; room: number; joined: boolean; event?: RoomEvent }
  | { ok: false; code: "INVITE_NOT_FOUND" | "BANNED" };
/** Who did an audited action, why and when. The admin command acts as { id: 0, name: "(admin command)" }. */
export interface AuditBy {
  actor: UserRef;
  reason: string;
  now: number;
}

export interface AccountRecord {
  id: number;
  name: string;
  admin: boolean;
  disabled: boolean;
  createdAt: number;
}

/** A member's report of a message, open until a moderator resolves it. */
export interface ReportRecord {
  id: number;
  room: number;
  seq: number;
  reporter?: UserRef;
  reason: string;
  createdAt: number;
  /** Set once resolved: by whom, when, and what was done. */
  resolvedBy?: number;
  resolvedAt?: number;
  outcome: string;
}

/** The join an accepted invitation stores in the transaction that makes the member. */
export function inviteJoin(room: number, user: UserRef, now: number): AppendRequest {
  const cid = `join-${crypto.randomUUID()}`;
  return { room, sender: user, cid, body: "invite", ts: now, event: { kind: "join" } };
}

/** The stored join of an invitation, or a throw that rolls its transaction back. */
export function storedJoin(result: AppendResult | undefined): RoomEvent {
  if (!result?.ok || !result.event)
    throw new Error(`the join was not stored: ${JSON.stringify(result)}`);
  return result.event;
}
