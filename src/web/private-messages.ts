/**
 * End-to-end encrypted DMs for the browser: the same SecureDm as the terminal client, with the
 * device's keys and key book in IndexedDB. Turns what SecureDm opens into plain messages for
 * the views (text in `body`, a shared file in `file`, the envelope dropped) or a sealed kind
 * that is never shown as text.
 */
import type { Connection } from "../client-core/connection.ts";
import { skewNotice } from "../client-core/dm-notices.ts";
import type { EventContent } from "../client-core/message-state.ts";
import { type MessageChangeRequest, SealedChanges } from "../client-core/sealed-changes.ts";
import {
  type DmContent,
  type KeyChange,
  SecureDm,
  type StartResult,
  type TrustResult,
} from "../client-core/secure-dm.ts";
import { SecureGroups } from "../client-core/secure-group.ts";
import type { Message, RoomEvent, RoomSummary, UserRef } from "../protocol/index.ts";
import { type DeviceStore, deviceStore } from "./device-store.ts";
import { dmFileOf } from "./dm-file.ts";
import type { SealedKind } from "./sealed-kind.ts";

export type { SealedKind } from "./sealed-kind.ts";

export type Trust = "unverified" | "verified" | "changed";

export interface PrivateMessagesHooks {
  /** A DM, opened, in seq order per conversation. */
  message(m: Message, sealed: SealedKind | undefined): void;
  /** Someone's devices changed since they were recorded (oneself included). */
  keys(change: KeyChange): void;
  /** Something to tell the user that belongs to no message. */
  problem(text: string): void;
  /** Another tab changed the key book (accepted or recorded keys): show trust afresh. */
  trustChanged(): void;
  /** A group's membership version, judged: the timeline's line ("alice added carol"). */
  membership(room: number, text: string, rejected: boolean): void;
}

const START_FAILURES: Record<Exclude<StartResult, { ok: true }>["reason"], string> = {
  "identity-damaged":
    "This browser's encryption keys are damaged, so private messages are turned off here.",
  "identity-foreign":
    "This browser's encryption keys belong to another account, so private messages are turned off here.",
  "key-book-corrupt":
    "This browser's record of other people's keys is damaged, so private messages are turned off here.",
};

export class PrivateMessages {
  private readonly secure: SecureDm;
  /** Encrypted groups, with the same keys (secure-group.ts); the Group dialog drives them. */
  readonly groups: SecureGroups;
  /** Edits, deletions and reactions in DMs and groups, sealed like the messages (sealed-changes.ts). */
  private readonly changes: SealedChanges;
  private readonly changeListeners = new Set<(e: RoomEvent, content: EventContent) => void>();
  private readonly stopListening: () => void;
  /** undefined while starting or once started; the reason when encryption is off. */
  private failure: string | undefined;

  constructor(
    private readonly conn: Connection,
    me: UserRef,
    private readonly hooks: PrivateMessagesHooks,
    store: DeviceStore = deviceStore(me.id),
  ) {
    this.secure = new SecureDm({
      conn,
      identities: store.identities,
      keyBook: store.keyBook,
      restoredKeys: store.restoredKeys,
    });
    this.secure.on("message", (m, content) => {
      const shown = shownAs(m, content);
      hooks.message(shown.message, shown.sealed);
      if (content.kind === "text" && content.serverTs !== undefined) {
        hooks.problem(`${m.from.name}: ${skewNotice(m.ts, content.serverTs)}`);
      }
    });
    this.groups = new SecureGroups({ conn, dm: this.secure });
    this.groups.on("message", (m, content) => {
      const shown = shownAs(m, content);
      hooks.message(shown.message, shown.sealed);
    });
    this.groups.on("membership", (c) => hooks.membership(c.room, c.text, c.outcome !== "accepted"));
    this.changes = new SealedChanges(
      conn,
      { dm: this.secure, groups: this.groups },
      {
        change: (e, content) => {
          for (const fn of this.changeListeners) fn(e, content);
        },
        problem: (text) => hooks.problem(text),
      },
    );
    this.secure.on("keys", (k) => hooks.keys(k));
    this.secure.on("problem", (text) => hooks.problem(text));
    this.stopListening = store.onKeyBookSaved(() => {
      void this.secure.reloadKeys().then(() => hooks.trustChanged());
    });
  }

  /** Sets up this device's keys; resolves with why DMs are off, or undefined when they work. */
  async start(): Promise<string | undefined> {
    try {
      const result = await this.secure.start();
      this.failure = result.ok ? undefined : START_FAILURES[result.reason];
      if (result.ok) await this.groups.start();
      const devices = this.secure.devices;
      if (result.ok && devices?.state === "unlinked") {
        this.hooks.problem(
          `This browser is not linked to your account yet: nothing is sealed for it and it cannot send private messages. Its code is ${await devices.myLinkCode()}; on a linked device open Devices (or type /link in the terminal) and approve it if the codes match, or restore your key backup under Devices.`,
        );
      }
    } catch (err) {
      this.failure = `Encryption could not be set up: ${err instanceof Error ? err.message : String(err)}`;
    }
    return this.failure;
  }

  /** Why DMs are off in this browser, if they are. */
  get off(): string | undefined {
    return this.failure;
  }

  /** A message SecureDm opens and reports itself (the chat must not show it as it came). */
  handles(m: Message, isDmRoom: boolean): boolean {
    return m.envelope !== undefined || isDmRoom;
  }

  open(user: string): Promise<RoomSummary> {
    return this.secure.openDm(user);
  }

  /** Sends to a DM or a group (`reply`: the seq of the message it answers). */
  send(room: number, text: string, cid: string, reply?: number): void {
    if (this.kindOf(room) === "group") this.groups.send(room, text, cid, reply);
    else this.secure.send(room, text, cid, reply);
  }

  /** Edits, deletes or reacts to a DM's or a group's message, sealed; resolves once stored. */
  change(room: number, c: MessageChangeRequest): Promise<void> {
    return this.changes.send(room, c);
  }

  /** Calls `fn` with each DM change once opened, in order with the messages. */
  onChange(fn: (e: RoomEvent, content: EventContent) => void): () => void {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }

  private kindOf(room: number) {
    return this.conn.joinedRooms().find((r) => r.id === room)?.kind;
  }

  /** History pages of a DM or a group, opened; oldest first. */
  async reveal(messages: readonly Message[]): Promise<{ message: Message; sealed?: SealedKind }[]> {
    const out: { message: Message; sealed?: SealedKind }[] = [];
    for (const m of messages) {
      const opened =
        this.kindOf(m.room) === "group"
          ? await this.groups.revealStored(m)
          : await this.secure.reveal(m, { dedupe: false });
      if (opened) out.push(shownAs(opened.message, opened.content));
    }
    return out;
  }

  trustOf(name: string): Trust | undefined {
    return this.secure.trustOf(name);
  }

  /** Keys that changed and wait for acceptance: the peer's, or one's own. */
  changedFor(peer: string): "peer" | "self" | undefined {
    return this.secure.waitingOn(peer);
  }

  /** Whose changed keys the group's first held send waits for, if one waits. */
  heldIn(room: number): UserRef | undefined {
    return this.secure.heldMessages().find((h) => h.room === room)?.user;
  }

  /** Calls `fn` when a send is held for a key change. */
  onHeld(fn: () => void): () => void {
    return this.secure.on("held", () => fn());
  }

  /** The cids of the sends (DMs' and groups') still held for a key change. */
  heldCids(): Set<string> {
    return new Set(this.secure.heldMessages().map((h) => h.cid));
  }

  trust(name: string): Promise<TrustResult> {
    return this.secure.trust(name);
  }

  safetyNumber(name: string): Promise<string | undefined> {
    return this.secure.safetyNumberWith(name);
  }

  markVerified(name: string): Promise<TrustResult> {
    return this.secure.markVerified(name);
  }

  /** This account's devices and key backup, for the Devices dialog; undefined until started. */
  get devices() {
    return this.secure.devices;
  }

  get keyBackup() {
    return this.secure.keyBackup;
  }

  async backUpHistory(): Promise<number> {
    return (await this.secure.backUpHistory()) + (await this.groups.backUpHistory());
  }

  close(): void {
    this.stopListening();
    this.groups.close();
    this.changes.close();
    this.secure.close();
  }
}

function shownAs(m: Message, content: DmContent): { message: Message; sealed?: SealedKind } {
  const { envelope: _sealed, ...rest } = m;
  if (content.kind === "text") {
    // A shared file: shown from its attachment, never its text (the descriptor holds the key).
    const file = dmFileOf(content.text);
    if (file) return { message: { ...rest, body: "", file } };
    return { message: { ...rest, body: content.text } };
  }
  return { message: { ...rest, body: "" }, sealed: content.kind };
}
