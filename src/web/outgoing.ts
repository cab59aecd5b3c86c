/**
 * What the user sends, from the moment it is typed or dropped until the server has it: each
 * message shows at once as pending in its conversation, goes through the shared connection
 * (sealed first in a DM), and either arrives, waits for a key change (held, kept across a
 * closed tab), or fails with its reason and a Retry and a Dismiss. Files are uploaded first.
 */
import type { Connection, RequestError } from "../client-core/connection.ts";
import type { FileTransfer } from "../client-core/file-transfer.ts";
import { newClientId } from "./client-id.ts";
import type { Conversation, Pending } from "./conversation.ts";
import type { Conversations } from "./conversations.ts";
import { shareDmFile } from "./dm-file.ts";
import { shareFile } from "./file-share.ts";
import { HeldMessages } from "./held-messages.ts";
import type { PrivateMessages } from "./private-messages.ts";

export interface OutgoingHooks {
  /** The pending messages of `room` changed: redraw them if it is on screen. */
  changed(room: number): void;
  /** Something was just sent from the conversation on screen: show the newest. */
  sent(room: number): void;
  /** The largest upload the server takes, once known (hello.limits.maxUploadBytes). */
  maxUploadBytes(): number | undefined;
}

export class Outgoing {
  private readonly held: HeldMessages;

  constructor(
    private readonly o: {
      me: number;
      conn: Connection;
      dms: PrivateMessages;
      transfer: FileTransfer;
      conversations: Conversations;
    },
    private readonly hooks: OutgoingHooks,
  ) {
    this.held = new HeldMessages(o.me);
    o.conn.on("undeliverable", (item, err) => this.refused(item.room, item.cid, err));
    o.conn.on("delivered", (item) => this.held.drop(item.cid));
  }

  /** Whether `c` can be written to from here: any room, and a DM while encryption works. */
  takes(c: Conversation | undefined): boolean {
    return c !== undefined && !((c.isDm || c.isGroup) && this.o.dms.off);
  }

  /** Sends text to `c`; `reply` is the seq of the message it answers. */
  text(c: Conversation, body: string, reply?: number): void {
    if (!this.takes(c)) return;
    const cid = newClientId();
    c.pending.push({ cid, body, ts: Date.now(), state: "pending" });
    this.hooks.changed(c.id);
    this.hooks.sent(c.id);
    if (c.isDm || c.isGroup) this.o.dms.send(c.id, body, cid, reply);
    else this.o.conn.send(c.id, body, reply === undefined ? { cid } : { cid, reply });
  }

  /**
   * Uploads and shares files in `c`, one after another, in the order given; in a DM or a group
   * encrypted first and shared by a sealed descriptor, like a text message there.
   */
  files(c: Conversation, files: File[]): void {
    if (!this.takes(c)) return;
    this.hooks.sent(c.id);
    const changed = (room: number) => this.hooks.changed(room);
    const maxBytes = this.hooks.maxUploadBytes();
    void (async () => {
      for (const file of files) {
        if (c.isDm || c.isGroup) {
          await shareDmFile(c, file, {
            transfer: this.o.transfer,
            send: (room, text, cid) => this.o.dms.send(room, text, cid),
            changed,
            maxBytes,
          });
        } else {
          await shareFile(c, file, {
            transfer: this.o.transfer,
            send: (room, cid, id) => this.o.conn.send(room, "", { cid, file: id }),
            changed,
            maxBytes,
          });
        }
      }
    })();
  }

  /** A failed message goes again, as new: text under a fresh cid, a file uploaded again. */
  retry(c: Conversation, p: Pending): void {
    this.dismiss(c, p);
    if (p.source) this.files(c, [p.source]);
    else if (!p.file) this.text(c, p.body);
  }

  /** A failed (or held) message is dropped for good. */
  dismiss(c: Conversation, p: Pending): void {
    const i = c.pending.indexOf(p);
    if (i >= 0) c.pending.splice(i, 1);
    this.held.drop(p.cid);
    this.hooks.changed(c.id);
  }

  /** DMs and group messages held when a tab closed go again, under their cid: shown held until keys are accepted. */
  restoreHeld(): void {
    for (const m of this.held.list()) {
      const c = this.o.conversations.get(m.room);
      if (!(c?.isDm || c?.isGroup) || c.pending.some((p) => p.cid === m.cid)) continue;
      c.pending.push({ cid: m.cid, body: m.body, ts: m.ts, state: "pending", held: true });
      this.o.dms.send(m.room, m.body, m.cid);
      this.hooks.changed(c.id);
    }
  }

  private refused(room: number, cid: string, err: RequestError): void {
    const c = this.o.conversations.get(room);
    const p = c?.pending.find((x) => x.cid === cid);
    if (!c || !p) return;
    if (err.code === "HELD") {
      p.held = true;
      if (!p.file) this.held.keep({ room, cid, body: p.body, ts: p.ts });
    } else {
      p.state = "failed";
      p.error = `${err.message} (${err.code})`;
    }
    this.hooks.changed(room);
  }
}
