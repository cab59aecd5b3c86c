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
 * A send to a group: only by a member (to anyone else the group does not exist), only sealed
 * (a file would travel inside the envelope, as a DM's, which is not built), for members only.
 */
export async function groupEnvelope(
  store: Store,
  user: UserRef,
  req: { room: number; cid: string; envelope?: Envelope | undefined; file?: string | undefined },
): Promise<string> {
  const members = (await store.membersOf(req.room)).map((m) => m.id);
  if (!members.includes(user.id)) throw new ParleyError("ROOM_NOT_FOUND");
  if (req.file !== undefined) throw new ParleyError("SEALED_ONLY");
  const conv = groupConversation(req.room);
  return sealedBody(req.envelope, {
    conv,
    user,
    cid: req.cid,
    users: members,
    max: GROUP_DEVICES_MAX,
  });
}
