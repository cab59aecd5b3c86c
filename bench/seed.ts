/**
 * Seeds a fresh database through the real store before the server starts: users (all sharing
 * one precomputed argon2id hash), live sessions with known tokens, rooms, members and messages.
 * Registering thousands of users over HTTP would cost ~40 ms of argon2 each and be throttled.
 *
 * Everything goes through the Store interface, so SQLite and PostgreSQL are seeded alike; only
 * the SQLite seeder batches its writes in one unsynced transaction and can bulk-insert messages.
 */
import type { Store } from "../db/store.ts";
import { PostgresStore } from "../db/store-postgres.ts";
import { SqliteStore } from "../db/store-sqlite.ts";
import { hashToken } from "../src/server/auth.ts";
import type { Identity } from "./client-socket.ts";

export const PASSWORD = "correct horse battery staple";
/** The server's parameters (src/server/auth.ts), so a login verifies at the real cost. */
const ARGON2 = { algorithm: "argon2id", memoryCost: 19_456, timeCost: 2 } as const;
const DAY_MS = 86_400_000;

let sharedHash: Promise<string> | undefined;

export interface SeededUser {
  user: number;
  name: string;
  token: string;
}

export class Seeder {
  private readonly now = Date.now();
  private nextUser = 0;
  private nextRoom = 0;

  private constructor(
    private readonly store: Store,
    /** Set for SQLite only: the file the fast paths write to directly. */
    private readonly sqlite?: SqliteStore,
  ) {}

  static sqlite(path: string): Seeder {
    const store = new SqliteStore(path);
    // Seeding is setup, not the measured path: one transaction, no fsync until the end.
    store.db.run("PRAGMA synchronous = OFF");
    store.db.run("BEGIN");
    return new Seeder(store, store);
  }

  /** Opens (and migrates) the database at `url` through the real PostgresStore. */
  static async postgres(url: string): Promise<Seeder> {
    return new Seeder(await PostgresStore.open({ url }));
  }

  async users(count: number): Promise<SeededUser[]> {
    sharedHash ??= Bun.password.hash(PASSWORD, ARGON2);
    const hash = await sharedHash;
    const out: SeededUser[] = [];
    for (let i = 0; i < count; i++) {
      const name = `bench${++this.nextUser}`;
      const created = await this.store.createUser(name, hash, this.now);
      if (created === "taken") throw new Error(`seed: user ${name} exists`);
      const token = `bench-${created.id}-${crypto.randomUUID()}`;
      await this.store.createSession(created.id, hashToken(token), this.now, this.now + DAY_MS);
      out.push({ user: created.id, name, token });
    }
    return out;
  }

  /** A room whose members are `members`; the first one creates it. */
  async room(members: readonly SeededUser[]): Promise<number> {
    const [creator, ...rest] = members;
    if (!creator) throw new Error("seed: a room needs a member");
    const room = await this.store.createRoom(`room${++this.nextRoom}`, "", creator.user, this.now);
    if (room === "taken") throw new Error("seed: room name taken");
    for (const m of rest) await this.store.addMember(room.id, m.user, this.now);
    return room.id;
  }

  /** `rooms` rooms of `size` users each; one identity per user. */
  async rooms(rooms: number, size: number): Promise<Identity[]> {
    const users = await this.users(rooms * size);
    const out: Identity[] = [];
    for (let r = 0; r < rooms; r++) {
      const members = users.slice(r * size, (r + 1) * size);
      const room = await this.room(members);
      for (const m of members) out.push({ ...m, room });
    }
    return out;
  }

  /**
   * `clients` users and as many rooms, each user in `perClient` rooms and each room with
   * `perClient` members (user c is in rooms c, c + stride, c + 2·stride, … modulo the count).
   * Memberships are written a few at a time: over PostgreSQL, one by one would take minutes.
   */
  async grid(
    clients: number,
    perClient: number,
  ): Promise<{ users: SeededUser[]; rooms: number[][] }> {
    if (clients % perClient !== 0) throw new Error("seed: clients must divide by perClient");
    const users = await this.users(clients);
    const ids: number[] = [];
    for (let r = 0; r < clients; r++) {
      const room = await this.store.createRoom(
        `grid${++this.nextRoom}`,
        "",
        (users[r] as SeededUser).user,
        this.now,
      );
      if (room === "taken") throw new Error("seed: room name taken");
      ids.push(room.id);
    }
    const stride = clients / perClient;
    const rooms = users.map((_, c) =>
      Array.from({ length: perClient }, (_, j) => ids[(c + j * stride) % clients] as number),
    );
    const pairs = users.flatMap((u, c) =>
      (rooms[c] as number[]).map((room) => [room, u.user] as const),
    );
    for (let i = 0; i < pairs.length; i += 32) {
      await Promise.all(
        pairs.slice(i, i + 32).map(([room, user]) => this.store.addMember(room, user, this.now)),
      );
    }
    return { users, rooms };
  }

  /** Adds one user to many rooms, a few at a time. */
  async joinAll(rooms: readonly number[], user: SeededUser): Promise<void> {
    for (let i = 0; i < rooms.length; i += 32) {
      await Promise.all(
        rooms.slice(i, i + 32).map((room) => this.store.addMember(room, user.user, this.now)),
      );
    }
  }

  async join(room: number, user: SeededUser): Promise<void> {
    await this.store.addMember(room, user.user, this.now);
  }

  /**
   * Fills a room with `count` messages by inserting rows straight into SQLite's tables.
   * The store's append path costs ~11 µs a message (a dedupe probe and a seq bump each), so a
   * million through it would take 20 s of setup; the rows written here are the same ones.
   */
  messages(
    room: number,
    from: SeededUser,
    count: number,
    body: string | ((seq: number) => string),
  ): void {
    if (!this.sqlite) throw new Error("seed: bulk messages are only written to SQLite");
    const db = this.sqlite.db;
    const insert = db.query(
      `INSERT INTO messages (room_id, seq, sender_id, client_id, body, ts)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    for (let seq = 1; seq <= count; seq++) {
      insert.run(
        room,
        seq,
        from.user,
        `seed.${seq}`,
        typeof body === "string" ? body : body(seq),
        this.now,
      );
    }
    db.query("UPDATE rooms SET last_seq = ? WHERE id = ?").run(count, room);
    // The append indexes what it writes (migration 011); rows written here are indexed here.
    db.query(
      `INSERT INTO message_search(rowid, body) SELECT room_id * 4294967296 + seq, body
       FROM messages WHERE room_id = ? AND body != '' ORDER BY seq`,
    ).run(room);
  }

  /**
   * Gives every message of the room reactions from `users` (each a different emoji) and edits
   * every `editEvery`th: the state the append path leaves on the targets (history pages read
   * that state, not the events, so no event rows are written).
   */
  changes(room: number, count: number, users: readonly SeededUser[], editEvery: number): void {
    if (!this.sqlite) throw new Error("seed: bulk changes are only written to SQLite");
    const db = this.sqlite.db;
    const react = db.query(
      "INSERT INTO reactions (room_id, seq, emoji, user_id, created_at) VALUES (?, ?, ?, ?, ?)",
    );
    const edit = db.query(
      "UPDATE messages SET body = ?, edited_at = ? WHERE room_id = ? AND seq = ?",
    );
    const emoji = ["👍", "🎉", "❤️", "😂", "👀"];
    for (let seq = 1; seq <= count; seq++) {
      users.forEach((u, i) => {
        react.run(room, seq, emoji[i % emoji.length] as string, u.user, this.now + i);
      });
      if (seq % editEvery === 0) edit.run(`edited ${seq}`, this.now + 1, room, seq);
    }
  }

  async close(): Promise<void> {
    if (this.sqlite) {
      this.sqlite.db.run("COMMIT");
      this.sqlite.db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    await this.store.close();
  }
}
