/**
 * Opening one DM message on this device, live or from a history page, into what may be shown:
 * - the text, as the sender's words, only from a device in the sender's accepted signed list;
 *   from any other device it is "unverified-device", never their words;
 * - an envelope opened before at another seq is a "replay" (the memory is the key book's, so it
 *   lasts across restarts), flagged and never shown as new;
 * - the time shown is the signed one, with the server's kept aside when they differ by more
 *   than SKEW_WARN_MS;
 * - an edited message carries its latest edit's envelope: shown only when that is an edit of
 *   this message by its author (sealed-change.ts); a deleted one has nothing left to open.
 */
import {
  envelopeKey,
  type Identity,
  type KeyBook,
  open,
  type TamperReason,
} from "../crypto/index.ts";
import { dmConversation, type Message, type UserRef } from "../protocol/index.ts";
import type { KeyBackupSync, OpenedKey } from "./key-backup-sync.ts";
import type { KeyDirectory } from "./key-directory.ts";
import { parseSealedChange } from "./sealed-change.ts";

/** How far the server's time may differ from the signed one before the message says so. */
export const SKEW_WARN_MS = 5 * 60_000;

/** What a DM turned out to hold once opened on this device. */
export type DmContent =
  | {
      kind: "text";
      text: string;
      /** The server's time, when it differs from the signed time shown by over SKEW_WARN_MS. */
      serverTs?: number;
    }
  /**
   * Authentic, from a device of the sender that no list signed by their trusted identity key
   * holds (one the server added, or one not approved yet): never shown as their words.
   */
  | { kind: "unverified-device"; text: string; device: string }
  /** An envelope already opened at another seq, delivered again: never shown as new. */
  | { kind: "replay"; firstSeq: number }
  /** Altered or forged: never shown as text. */
  | { kind: "tampered"; reason: TamperReason | "no-envelope" }
  /** Authentic, but sealed before this device existed (or without it). */
  | { kind: "not-addressed" }
  /** Sent by a device the server does not list, even after fetching its keys again. */
  | { kind: "unknown-sender" };

export interface RevealContext {
  identity: Identity;
  me: UserRef;
  peer: UserRef;
  book: KeyBook;
  directory: KeyDirectory;
  /** The account's key backup: content keys go in, restored ones open older envelopes. */
  backup: KeyBackupSync;
  /** Fetches a user's keys again (for a sender not seen yet). */
  refresh(user: number): Promise<void>;
}

/**
 * Opens `m`. undefined only for a live delivery (`live`) of an envelope already shown at the
 * same seq (a duplicate delivery, not news). The `from` of the result is the sealing user.
 */
export async function revealDm(
  m: Message,
  c: RevealContext,
  live: boolean,
): Promise<{ message: Message; content: DmContent } | undefined> {
  // A deleted message's ciphertext is erased: nothing to open, and nothing wrong.
  if (m.deleted) return { message: m, content: { kind: "text", text: "" } };
  if (m.envelope === undefined) {
    return { message: m, content: { kind: "tampered", reason: "no-envelope" } };
  }
  const conversation = dmConversation(m.room);
  let contentKey: Uint8Array<ArrayBuffer> | undefined;
  const options = () => ({
    onContentKey: (k: Uint8Array<ArrayBuffer>) => {
      contentKey = k;
    },
    me: c.identity,
    conversation,
    // Unaccepted devices too, so their messages can be shown as what they are.
    senders: [c.peer.id, c.me.id].flatMap((u) => [
      ...c.directory.accepted(u),
      ...c.directory.unverified(u),
    ]),
    participants: [String(c.peer.id), String(c.me.id)],
  });
  let result = await open(m.envelope, options());
  if (result.outcome === "unknown-sender") {
    // A device we have not recorded yet: fetch that user's keys and try once more.
    await c.refresh(Number(result.from.user)).catch(() => {});
    result = await open(m.envelope, options());
  }
  if (result.outcome === "not-addressed") {
    // Sealed before this device was linked: the key backup may hold its content key.
    const e = m.envelope;
    const from = { user: e.from.u, device: e.from.d };
    for (const restored of c.backup.keysFor(conversation, from, e.id)) {
      const again = await open(e, { ...options(), contentKey: restored });
      if (again.outcome === "opened") {
        result = again;
        break;
      }
    }
  }
  switch (result.outcome) {
    case "tampered":
      return { message: m, content: { kind: "tampered", reason: result.reason } };
    case "not-addressed":
      return { message: m, content: { kind: "not-addressed" } };
    case "unknown-sender":
      return { message: m, content: { kind: "unknown-sender" } };
    case "opened":
      break;
  }
  // An edited message carries its latest edit's envelope, sighted at the edit's own seq: what
  // it says must be an edit of this very message (sealed-change.ts), by its author.
  let text = result.text;
  if (m.edited !== undefined) {
    const change = parseSealedChange(result.text);
    if (
      change?.kind !== "edit" ||
      change.target !== m.seq ||
      result.from.user !== String(m.from.id)
    ) {
      return { message: m, content: { kind: "tampered", reason: "no-envelope" } };
    }
    text = change.body;
  }
  const sighting =
    m.edited !== undefined
      ? ({ kind: "new" } as const)
      : await c.book.sight(conversation, envelopeKey(result.from, result.id), m.seq);
  if (sighting.kind === "new" && contentKey) {
    c.backup.record(conversation, result.from, result.id, contentKey);
  }
  // A duplicate delivery of one shown here already; another tab's sighting is news here.
  if (sighting.kind === "same" && !sighting.elsewhere && live) return undefined;
  const from = result.from.user === String(c.me.id) ? c.me : c.peer;
  if (sighting.kind === "replay") {
    return { message: { ...m, from, body: "" }, content: sighting };
  }
  // Accepted devices come first in `senders`, so a listed device id was checked with its listed
  // keys: the sender is accepted exactly when the accepted list has that id.
  const accepted = c.directory
    .accepted(result.from.user)
    .some((b) => b.device === result.from.device);
  if (!accepted) {
    // Never the person's words: the body stays empty, and the text goes with its warning.
    return {
      message: { ...m, from, body: "" },
      content: { kind: "unverified-device", text, device: result.from.device },
    };
  }
  const skewed = Math.abs(m.ts - result.at) > SKEW_WARN_MS;
  return {
    message: { ...m, from, body: text, ...(m.edited === undefined ? { ts: result.at } : {}) },
    content: {
      kind: "text",
      text,
      ...(skewed && m.edited === undefined ? { serverTs: m.ts } : {}),
    },
  };
}

/**
 * The content key of a stored DM this device can open, as a backup entry: what a new backup
 * takes from the history it did not see being opened. undefined for anything that does not open.
 */
export async function contentKeyOf(m: Message, c: RevealContext): Promise<OpenedKey | undefined> {
  if (m.envelope === undefined) return undefined;
  let key: Uint8Array<ArrayBuffer> | undefined;
  const conversation = dmConversation(m.room);
  const result = await open(m.envelope, {
    me: c.identity,
    conversation,
    senders: [c.peer.id, c.me.id].flatMap((u) => [
      ...c.directory.accepted(u),
      ...c.directory.unverified(u),
    ]),
    participants: [String(c.peer.id), String(c.me.id)],
    onContentKey: (k) => {
      key = k;
    },
  });
  if (result.outcome !== "opened" || !key) return undefined;
  return { conv: conversation, from: result.from, id: result.id, key };
}
