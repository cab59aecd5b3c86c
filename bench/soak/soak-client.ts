/**
 * One soak client: the real connection layer (src/client-core/connection.ts), driven like a user who
 * types at a steady rate, and a record of everything it saw: each delivery, each ack, each
 * refusal, each reconnect. The ledger later compares these records with the store.
 */
import { Connection, type Status } from "../../src/client-core/connection.ts";
import type { Message, RoomEvent } from "../../src/protocol/index.ts";
import type { Account } from "../fuzz/api.ts";

export interface SentRecord {
  cid: string;
  room: number;
  body: string;
}

export class SoakClient {
  readonly connection: Connection;
  /** Every cid this client queued, with what it said. */
  readonly sent = new Map<string, SentRecord>();
  /** cid → seq, from the connection's 'delivered' event (an ack, or its own copy echoed). */
  readonly acked = new Map<string, number>();
  /** Refused for good: none of these should happen in a soak. */
  readonly undeliverable: { cid: string; code: string }[] = [];
  /**
   * room → seq → the entry as delivered to the application: a message, or one of the room's
   * own events (a join, a leave…), which hold seqs in the same log.
   */
  readonly received = new Map<number, Map<number, Message | RoomEvent>>();
  /** Deliveries of a seq already delivered, and deliveries that went backwards. */
  duplicates = 0;
  outOfOrder = 0;
  /** Deliveries that skipped a seq (the layer promises none). */
  skipped = 0;
  reconnects = 0;
  stopped: string | undefined;
  private readonly last = new Map<number, number>();
  private counter = 0;

  constructor(
    readonly account: Account,
    server: string,
    readonly rooms: readonly { id: number; name: string }[],
  ) {
    this.connection = new Connection({ server, token: account.token });
    this.connection.on("message", (m) => this.receive(m));
    this.connection.on("event", (e) => this.receive(e));
    this.connection.on("delivered", (item, seq) => this.acked.set(item.cid, seq));
    this.connection.on("undeliverable", (item, err) =>
      this.undeliverable.push({ cid: item.cid, code: err.code }),
    );
    this.connection.on("status", (s: Status) => {
      if (s.kind === "reconnecting") this.reconnects++;
      if (s.kind === "stopped" && s.reason !== "closed") this.stopped = `${s.reason}: ${s.message}`;
    });
  }

  get name(): string {
    return this.account.user.name;
  }

  /** Connects and joins every room from seq 0, so this client must see each room whole. */
  async start(): Promise<void> {
    this.connection.start();
    await this.connection.ready();
    for (const room of this.rooms) {
      this.received.set(room.id, new Map());
      this.last.set(room.id, 0);
      await this.connection.join(room.name, { from: 0 });
    }
  }

  /** Queues one message; the connection sends it now or after the next reconnect. */
  say(roomIndex: number): void {
    const room = this.rooms[roomIndex % this.rooms.length] as { id: number };
    const body = `${this.name} #${++this.counter}`;
    const item = this.connection.send(room.id, body);
    this.sent.set(item.cid, { cid: item.cid, room: room.id, body });
  }

  private receive(m: Message | RoomEvent): void {
    const seen = this.received.get(m.room);
    if (!seen) return;
    if (seen.has(m.seq)) {
      this.duplicates++;
      return;
    }
    const last = this.last.get(m.room) ?? 0;
    if (m.seq < last) this.outOfOrder++;
    else if (m.seq > last + 1) this.skipped++;
    seen.set(m.seq, m);
    this.last.set(m.room, Math.max(last, m.seq));
  }

  /** Nothing left to send, and every room seen up to its head. */
  drained(heads: ReadonlyMap<number, number>): boolean {
    if (this.connection.pending().length > 0) return false;
    for (const room of this.rooms) {
      if ((this.received.get(room.id)?.size ?? 0) < (heads.get(room.id) ?? 0)) return false;
    }
    return true;
  }

  close(): void {
    this.connection.close();
  }
}
