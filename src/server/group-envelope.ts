/**
 * What a group (docs/e2ee.md 12) accepts as a message: checked by chat.ts's send, so the server
 * stores no plaintext there and no envelope addressed beyond the group's members.
 */
import type { Store } from "../../db/store.ts";
import { type Envelope, GROUP_DEVICES_MAX } from "../crypto/index.ts";
import { groupConversation, ParleyError, type UserRef } from "../protocol/index.ts";
import { e2eeUserId } from "./devices.ts";

/** Why a plain leave of a group is refused: the group's chain must say it. */
export const GROUP_LEAVE =
  "Leave a group with a signed membership version (/group leave), so its members stop sealing for you.";

/**
 * The body to store for a send to a group, or why it is refused: only an envelope, bound to the
 * group, the sender and the send's cid, addressed to members' devices only (at most 320).
 */
export async function groupEnvelope(
  store: Store,
  user: UserRef,
  room: number,
  cid: string,
  env: Envelope | undefined,
): Promise<string> {
  const members = await store.membersOf(room);
  if (!members.some((m) => m.id === user.id)) throw new ParleyError("ROOM_NOT_FOUND");
  if (env === undefined) throw new ParleyError("SEALED_ONLY");
  if (
    env.conv !== groupConversation(room) ||
    env.from.u !== e2eeUserId(user.id) ||
    env.id !== cid ||
    env.to.length > GROUP_DEVICES_MAX
  ) {
    throw new ParleyError("BAD_ENVELOPE");
  }
  const ids = new Set(members.map((m) => e2eeUserId(m.id)));
  if (env.to.some((r) => !ids.has(r.u))) throw new ParleyError("BAD_ENVELOPE");
  return JSON.stringify(env);
}
