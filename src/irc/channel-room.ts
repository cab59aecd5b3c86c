/**
 * Which room a channel name reaches over IRC: Chat.findRoom's answer, except an encrypted group
 * (docs/e2ee.md 12). IRC cannot carry end-to-end encryption, so to the gateway a group does not
 * exist: JOIN, NAMES, TOPIC, WHO, MODE, PRIVMSG and CHATHISTORY all answer as for an unknown
 * channel, and LIST and the welcome's joins list rooms of kind "room" only.
 */
import type { RoomRecord } from "../../db/store.ts";
import { ParleyError, type UserRef } from "../protocol/index.ts";
import type { IrcContext } from "./context.ts";

export async function channelRoom(
  ctx: IrcContext,
  user: UserRef,
  name: string,
): Promise<RoomRecord> {
  const room = await ctx.chat.findRoom({ name }, user);
  if (room.kind !== "room") throw new ParleyError("ROOM_NOT_FOUND");
  return room;
}
