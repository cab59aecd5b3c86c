/**
 * Edits, deletions and reactions in end-to-end encrypted DMs, for both clients. An edit or a
 * reaction is sealed like a DM's text (sealed-change.ts: the new text or the emoji and on/off,
 * with the target's seq), bound to the conversation, the sender and the event's cid; the server
 * sees only that an event of some kind targets a seq. A delete carries nothing to seal.
 *
 * What arrives is opened in its place among the DM's messages (SecureDm.inOrder), so a change
 * never overtakes the message it changes, and passed on with who sealed it: a change that does
 * not open, comes from a device outside the sender's accepted list, is a replay, or names
 * another kind or seq than its event is dropped with a note, never applied.
 */
import type { Message, RoomEvent, UserRef } from "../protocol/index.ts";
import type { Connection } from "./connection.ts";
import type { EventContent } from "./message-state.ts";
import { parseSealedChange, sealedChangeText } from "./sealed-change.ts";
import type { SecureDm } from "./secure-dm.ts";

export type DmChangeRequest =
  | { kind: "edit"; target: number; body: string }
  | { kind: "react"; target: number; emoji: string; on: boolean }
  | { kind: "delete"; target: number };

export interface DmChangeHooks {
  /** A DM event, opened: `e.from` is who sealed it; apply it with its content. */
  change(e: RoomEvent, content: EventContent): void;
  /** A DM event that could not be trusted, said once. */
  problem(text: string): void;
}

type Secure = Pick<SecureDm, "inOrder" | "reveal" | "sealFor" | "peerOf">;

export class DmChanges {
  private readonly stop: () => void;

  constructor(
    private readonly conn: Connection,
    private readonly secure: Secure,
    hooks: DmChangeHooks,
  ) {
    this.stop = conn.on("event", (e) => {
      if (!this.isDm(e)) return;
      secure.inOrder(async () => {
        const opened = await this.open(e);
        if (opened === "dropped")
          hooks.problem(
            `A change to a message from ${e.from.name} could not be verified, so it is not shown.`,
          );
        else if (opened) hooks.change(opened.event, opened.content);
      });
    });
  }

  /** Whether the event belongs to a DM (the views leave those to this module). */
  isDm(e: { room: number; envelope?: unknown }): boolean {
    if (e.envelope !== undefined || this.secure.peerOf(e.room)) return true;
    return this.conn.joinedRooms().find((r) => r.id === e.room)?.kind === "dm";
  }

  /**
   * Sends a change to a DM message: sealed (an edit, a reaction) or plain (a delete). Resolves
   * once the server stored it; the change comes back as an event like everyone else's.
   */
  async send(room: number, c: DmChangeRequest, cid: string = crypto.randomUUID()): Promise<void> {
    if (c.kind === "delete") {
      await this.conn.change(room, { kind: "delete", target: c.target }, cid);
      return;
    }
    const envelope = await this.secure.sealFor(room, sealedChangeText(c), cid);
    await this.conn.change(room, { kind: c.kind, target: c.target, envelope }, cid);
  }

  /** The event with its sealer and content; "dropped" when it cannot be trusted; undefined for a repeat. */
  private async open(
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
    const opened = await this.secure.reveal(carrier);
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
