/**
 * What a sealed conversation accepts as a message, checked without any key by chat.ts's send: a
 * DM's or a group's (docs/e2ee.md 12) envelope, bound to the conversation, the sender and the
 * send, and addressed to no one outside it; so the server stores no plaintext there.
 */
import type { Store } from "../../db/store.ts";
import { type Envelope, GROUP_DEVICES_MAX } from "../crypto/index.ts";
import { groupConversation, ParleyError, type UserRef } from "../protocol/index.ts";
import { e2eeUserId } from "./devices.ts";

/** Why a plain leave of a group is refused: the group's chain must say it. */
export const GROUP_LEAVE =
  "Leave a group with a signed membership version (/group leave), so its members stop sealing for you.";

/**
 * The envelope as stored, or why it is refused: it must name this conversation, this sender and
 * this send (its id is the cid, so a retry is recognisably the same message), and address at
 * most `max` devices, all of `users`.
 */
export function sealedBody(
  env: Envelope | undefined,
  o: { conv: string; user: UserRef; cid: string; users: readonly number[]; max: number },
): string {
  if (env === undefined) throw new ParleyError("SEALED_ONLY");
  const from = e2eeUserId(o.user.id);
  if (env.conv !== o.conv || env.from.u !== from || env.id !== o.cid || env.to.length > o.max) {
    throw new ParleyError("BAD_ENVELOPE");
  }
  const ids = new Set(o.users.map(e2eeUserId));
  if (env.to.some((r) => !ids.has(r.u))) throw new ParleyError("BAD_ENVELOPE");
  return JSON.stringify(env);
}

/**
 * A send to a group: only by a member (to anyone else the group does not exist), only sealed,
 * for members only. A file is shared as in a DM: its descriptor (with the key) sealed as the
 * text, never by the file id in the clear, which would tell the server which message shares it.
 */
export async function groupEnvelope(
  store: Store,
  user: UserRef,
  req: { room: number; cid: string; envelope?: Envelope | undefined; file?: string | undefined },
): Promise<string> {
  const members = (await store.membersOf(req.room)).map((m) => m.id);
  if (!members.includes(user.id)) throw new ParleyError("ROOM_NOT_FOUND");
  if (req.file !== undefined) {
    throw new ParleyError(
      "SEALED_ONLY",
      "Groups are end-to-end encrypted: share a file by sealing its descriptor, not by its id.",
    );
  }
  const conv = groupConversation(req.room);
  return sealedBody(req.envelope, {
    conv,
    user,
    cid: req.cid,
    users: [...members, ...(await deletedAccounts(store, req.envelope, members))],
    max: GROUP_DEVICES_MAX,
  });
}

/**
 * Whether the user id is an account deleted (or none at all): deletion keeps the row, for the
 * messages, under the name "deleted-ID", made only there (db/admin-store.ts).
 */
export async function isDeletedAccount(store: Store, id: number): Promise<boolean> {
  const user = await store.findUserById(id);
  return user === undefined || user.name === `deleted-${id}`;
}

/**
 * The addressed users that are no accounts any more: a deleted account leaves the server's
 * members at once but stays in the group's chain until an admin signs it out, and the members'
 * clients may seal for its last known devices meanwhile. Nobody can fetch for it, so addressing
 * it is harmless, and refusing would stop the group until then. (Bounded: at most 320 addresses.)
 */
async function deletedAccounts(
  store: Store,
  env: Envelope | undefined,
  members: readonly number[],
): Promise<number[]> {
  if (!env || env.to.length > GROUP_DEVICES_MAX) return [];
  const inside = new Set(members.map(e2eeUserId));
  const others = new Set(env.to.map((r) => r.u).filter((u) => !inside.has(u)));
  const gone: number[] = [];
  for (const u of others) {
    const id = Number(u);
    if (/^[0-9]{1,15}$/.test(u) && (await isDeletedAccount(store, id))) gone.push(id);
  }
  return gone;
}
