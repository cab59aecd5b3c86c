/**
 * Edits, deletions and reactions in sealed conversations (DMs and groups), for both clients. An
 * edit or a reaction is sealed like the conversation's text (sealed-change.ts: the new text or
 * the emoji and on/off, with the target's seq), bound to the conversation, the sender and the
 * event's cid; the server sees only that an event of some kind targets a seq. A delete carries
 * nothing to seal.
 *
 * What arrives is opened in its place among the conversation's messages (the conversation's own
 * `inOrder`: SecureDm's or SecureGroups'), so a change never overtakes the message it changes,
 * and passed on with who sealed it: a change that does not open, comes from a device outside the
 * sender's accepted list, is a replay, or names another kind or seq than its event is dropped
 * with a note, never applied.
 */
import type { Envelope } from "../crypto/index.ts";
import type { Message, RoomEvent, UserRef } from "../protocol/index.ts";
import type { Connection } from "./connection.ts";
import type { DmContent } from "./dm-reveal.ts";
import type { EventContent } from "./message-state.ts";
import { parseSealedChange, sealedChangeText } from "./sealed-change.ts";
import type { GroupContent } from "./secure-group.ts";

/** A change to a message: sealed in a DM or a group, as it is in a room. */
export type MessageChangeRequest =
  | { kind: "edit"; target: number; body: string }
  | { kind: "react"; target: number; emoji: string; on: boolean }
  | { kind: "delete"; target: number };

export interface SealedChangeHooks {
  /** An event of a sealed conversation, opened: `e.from` is who sealed it; apply it with its content. */
  change(e: RoomEvent, content: EventContent): void;
  /** An event that could not be trusted, said once. */
  problem(text: string): void;
}

/** What a sealed conversation (SecureDm, SecureGroups) does for its changes. */
export interface SealedConversation {
  /** Runs `task` in order with the conversation's opens. */
  inOrder(task: () => Promise<unknown>): void;
  /** Opens a message (undefined for a repeat delivery), with the replay memory. */
  reveal(m: Message): Promise<{ message: Message; content: DmContent | GroupContent } | undefined>;
  sealFor(room: number, text: string, cid: string): Promise<Envelope>;
}

export interface SealedConversations {
  dm: SealedConversation & { peerOf(room: number): UserRef | undefined };
  groups?: SealedConversation | undefined;
}

export class SealedChanges {
  private readonly stop: () => void;

  constructor(
    private readonly conn: Connection,
    private readonly sealed: SealedConversations,
    hooks: SealedChangeHooks,
  ) {
    this.stop = conn.on("event", (e) => {
      const secure = this.conversationOf(e);
      if (!secure) return;
      secure.inOrder(async () => {
        const opened = await this.open(secure, e);
        if (opened === "dropped")
          hooks.problem(
            `A change to a message from ${e.from.name} could not be verified, so it is not shown.`,
          );
        else if (opened) hooks.change(opened.event, opened.content);
      });
    });
  }

  /** The sealed conversation an event belongs to (the views leave those to this module). */
  private conversationOf(e: { room: number; envelope?: unknown }): SealedConversation | undefined {
    const kind = this.conn.joinedRooms().find((r) => r.id === e.room)?.kind;
    if (kind === "group") return this.sealed.groups;
    if (kind === "dm" || e.envelope !== undefined || this.sealed.dm.peerOf(e.room)) {
      return this.sealed.dm;
    }
    return undefined;
  }

  /** Whether the event belongs to a DM or a group. */
  isSealed(e: { room: number; envelope?: unknown }): boolean {
    return this.conversationOf(e) !== undefined;
  }

  /**
   * Sends a change to a message of a DM or a group: sealed (an edit, a reaction) or plain (a
   * delete). Resolves once the server stored it; the change comes back as an event like
   * everyone else's.
   */
  async send(
    room: number,
    c: MessageChangeRequest,
    cid: string = crypto.randomUUID(),
  ): Promise<void> {
    if (c.kind === "delete") {
      await this.conn.change(room, { kind: "delete", target: c.target }, cid);
      return;
    }
    const secure = this.conversationOf({ room });
    if (!secure) throw new Error("not a sealed conversation");
    const envelope = await secure.sealFor(room, sealedChangeText(c), cid);
    await this.conn.change(room, { kind: c.kind, target: c.target, envelope }, cid);
  }

  /** The event with its sealer and content; "dropped" when it cannot be trusted; undefined for a repeat. */
  private async open(
    secure: SealedConversation,
    e: RoomEvent,
  ): Promise<{ event: RoomEvent; content: EventContent } | "dropped" | undefined> {
    if (e.kind === "delete") return { event: e, content: {} };
    if (e.kind !== "edit" && e.kind !== "react") return undefined;
    if (e.envelope === undefined) return "dropped";
    // Opened like a message at the event's seq: the same checks, and the same replay memory.
    const carrier: Message = {
      room: e.room,
      seq: e.seq,
      ts: e.ts,
      from: e.from,
      cid: e.cid,
      body: "",
      envelope: e.envelope,
    };
    const opened = await secure.reveal(carrier);
    if (!opened) return undefined;
    if (opened.content.kind !== "text") return "dropped";
    const change = parseSealedChange(opened.content.text);
    if (!change || change.kind !== e.kind || change.target !== e.target) return "dropped";
    const from: UserRef = opened.message.from;
    return {
      event: { ...e, from },
      content:
        change.kind === "edit" ? { body: change.body } : { emoji: change.emoji, on: change.on },
    };
  }

  close(): void {
    this.stop();
  }
}
