/**
 * Sealing one DM for its recipients: every device in both people's recorded device lists (so
 * one's other devices read it too), refused with a coded error when it must not go: this device
 * is not linked, a key change waits to be accepted (HELD: the message waits), or the other
 * person has no device keys at all.
 */
import { type Identity, type KeyBook, seal } from "../crypto/index.ts";
import { dmConversation, type UserRef } from "../protocol/index.ts";
import { RequestError } from "./request-error.ts";

const UNLINKED =
  "This device is not linked to your account yet: approve it from a linked device (/link), or reset the account keys.";

export interface SealContext {
  from: Identity;
  me: UserRef;
  peer: UserRef;
  book: KeyBook;
  /** This device is in the account's signed device list. */
  linked: boolean;
  now?: (() => number) | undefined;
}

export function sealDm(c: SealContext, m: { room: number; text: string; cid: string }) {
  const { book, peer, me } = c;
  if (!c.linked) throw new RequestError("UNLINKED", UNLINKED);
  if (book.trust(String(peer.id)) === "changed" || book.trust(String(me.id)) === "changed") {
    throw new RequestError("HELD", "Waiting for a key change to be accepted.");
  }
  const theirs = book.devices(String(peer.id));
  if (theirs.length === 0) {
    throw new RequestError(
      "NO_DEVICES",
      `${peer.name} has no device keys yet (they have not used an encrypting client), so they could not read it.`,
    );
  }
  return seal({
    from: c.from,
    conversation: dmConversation(m.room),
    text: m.text,
    id: m.cid,
    to: [...theirs, ...book.devices(String(me.id))],
    ...(c.now ? { now: c.now } : {}),
  });
}
