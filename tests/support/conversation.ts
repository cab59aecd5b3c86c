/**
 * A place two people talk, as tests need it: a public room (plain bodies) or a DM (each message
 * sealed with the real crypto module for both people's devices). Tests that must hold for both
 * take a Conversation and do not care which.
 */
import {
  createIdentity,
  type Identity,
  seal,
  type VerifiedBundle,
  verifyBundle,
} from "../../src/crypto/index.ts";
import { dmConversation, type ServerFrameOf } from "../../src/protocol/index.ts";
import { type Account, connect, createRoom, joinRoom, register } from "./client.ts";

export type ConversationKind = "room" | "dm";

export interface Conversation {
  kind: ConversationKind;
  room: number;
  alice: Account;
  bob: Account;
  /** The room's log before the first message: bob's join event in a room (1), nothing in a DM (0). */
  head: number;
  /** What goes into a send frame besides type, id, room and cid. */
  payload(cid: string, text: string): Promise<{ body: string } | { envelope: unknown }>;
}

/** Sets up alice and bob in a public room or a DM on the server at `base`. */
export async function converse(
  kind: ConversationKind,
  base: string,
  wsUrl: string,
): Promise<Conversation> {
  const alice = await register(base);
  const bob = await register(base);
  if (kind === "room") {
    const room = await createRoom(base, alice.token);
    await joinRoom(base, bob.token, room);
    return { kind, room, alice, bob, head: 1, payload: async (_cid, text) => ({ body: text }) };
  }
  const devices: Identity[] = [];
  for (const account of [alice, bob]) {
    const ws = await connect(wsUrl, account.token);
    const device = await createIdentity({ user: String(account.user.id) });
    await ws.request({ type: "device", bundle: device.bundle });
    await ws.close();
    devices.push(device);
  }
  const opener = await connect(wsUrl, alice.token);
  const room = (await opener.request<ServerFrameOf<"dm">>({ type: "dm", user: bob.user.name })).room
    .id;
  await opener.close();
  const to: VerifiedBundle[] = [];
  for (const d of devices) {
    const check = await verifyBundle(d.bundle);
    if (check.ok) to.push(check.bundle);
  }
  const from = devices[0] as Identity;
  return {
    kind,
    room,
    alice,
    bob,
    head: 0,
    payload: async (cid, text) => ({
      envelope: await seal({ from, conversation: dmConversation(room), text, to, id: cid }),
    }),
  };
}
