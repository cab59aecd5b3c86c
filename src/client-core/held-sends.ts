/**
 * Sends held until a changed identity key is accepted (docs/e2ee.md 8 and 12): a DM's or a
 * group's, alike. A sealer that finds a person's keys changed and unaccepted throws `heldFor`'s
 * refusal; the outbox gives the item up as HELD, and it waits here with its own sealer, to be
 * queued again under its first cid (so it is still one message) once nothing holds it back.
 */
import type { UserRef } from "../protocol/index.ts";
import type { OutboxItem, Sealer } from "./outbox.ts";
import { RequestError } from "./request-error.ts";

export interface Held {
  room: number;
  cid: string;
  body: string;
  reply?: number | undefined;
  seal?: Sealer | undefined;
  /** Whose changed keys it waits for. */
  user: UserRef;
}

export class HeldSends {
  private readonly held: Held[] = [];
  /** Whom a send waits for, by cid, between its sealer's refusal and the outbox giving it up. */
  private readonly holders = new Map<string, UserRef>();

  heldFor(cid: string, user: UserRef): RequestError {
    this.holders.set(cid, user);
    return new RequestError("HELD", "Waiting for a key change to be accepted.");
  }

  /** Holds the item the outbox gave up as HELD; returns whom it waits for. */
  add(item: OutboxItem, peer: UserRef | undefined): UserRef {
    const user = this.holders.get(item.cid) ?? peer ?? { id: 0, name: "?" };
    this.holders.delete(item.cid);
    const { room, cid, body, reply, seal } = item;
    this.held.push({ room, cid, body, reply, seal, user });
    return user;
  }

  list(): readonly Held[] {
    return this.held;
  }

  /** Takes out the held sends whose person's keys are no longer `changed`. */
  release(changed: (user: string) => boolean): Held[] {
    const all = this.held.splice(0);
    const keep = all.filter((h) => changed(String(h.user.id)));
    this.held.push(...keep);
    return all.filter((h) => !keep.includes(h));
  }
}
