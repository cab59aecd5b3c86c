/**
 * End-to-end encrypted direct messages around a Connection, for every client (terminal and
 * browser: no node: imports; the identity and the key book are kept by injected stores). It
 * publishes this device's keys, seals each DM for the devices in both people's signed device
 * lists (re-sealed with the same cid on every retry), opens what arrives in seq order, and
 * pins each account's identity key on first use: a changed identity key is announced, messages
 * to that person wait until the user accepts it, and a message from a device outside the
 * accepted list is shown only as "from an unverified device".
 */
import { type Identity, type KeyBook, type KeyBookStore, openKeyBook } from "../crypto/index.ts";
import { type Message, nameKey, type RoomSummary, type UserRef } from "../protocol/index.ts";
import { AccountDevices } from "./account-devices.ts";
import { type Connection, type PushFrame, RequestError } from "./connection.ts";
import { type IdentityStore, loadIdentity, publishIdentity } from "./device-identity.ts";
import { contentKeyOf, type DmContent, type RevealContext, revealDm } from "./dm-reveal.ts";
import { sealDm } from "./dm-seal.ts";
import { HeldSends } from "./held-sends.ts";
import { IdentityTrust } from "./identity-trust.ts";
import { KeyBackupSync, type RestoredKeyStore } from "./key-backup-sync.ts";
import { KeyDirectory } from "./key-directory.ts";
import { Listeners } from "./listeners.ts";
import type { OutboxItem } from "./outbox.ts";
import type { SecureDmEvents, StartResult, TrustResult } from "./secure-dm-events.ts";

export type { IdentityStore } from "./device-identity.ts";
export type { DmContent } from "./dm-reveal.ts";
export type { KeyChange } from "./key-directory.ts";
export type { SecureDmEvents, StartResult, TrustResult } from "./secure-dm-events.ts";

/** A DM waiting for a key change to be accepted; it goes later under its first cid, still a reply. */

export class SecureDm {
  private readonly listeners = new Listeners<SecureDmEvents>();
  private identity: Identity | undefined;
  private book: KeyBook | undefined;
  private directory: KeyDirectory | undefined;
  private account: AccountDevices | undefined;
  private backup: KeyBackupSync | undefined;
  private trusts: IdentityTrust | undefined;
  private me: UserRef | undefined;
  private started: Promise<StartResult> | undefined;
  /** The other person of each DM room. */
  private readonly peers = new Map<number, UserRef>();
  /** Messages waiting for trust() of their peer (or of one's own devices). */
  private readonly held = new HeldSends();
  /** Opens run one at a time, so messages come out in the order they came in. */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly o: {
      conn: Connection;
      identities: IdentityStore;
      keyBook: KeyBookStore;
      restoredKeys?: RestoredKeyStore; // restored backup keys kept across restarts
      now?: () => number;
    },
  ) {
    const { conn } = o;
    this.cleanups.push(
      conn.on("message", (m) => {
        if (this.isDm(m)) this.enqueueOpen(m);
      }),
      conn.on("push", (f) => this.onPush(f)),
      conn.on("undeliverable", (item, err) => {
        if (err.code === "HELD") this.hold(item);
      }),
    );
  }

  on<K extends keyof SecureDmEvents>(event: K, fn: SecureDmEvents[K]): () => void {
    return this.listeners.on(event, fn);
  }

  private emit<K extends keyof SecureDmEvents>(
    event: K,
    ...args: Parameters<SecureDmEvents[K]>
  ): void {
    this.listeners.emit(event, ...args);
  }

  /**
   * Loads (or makes) this device's identity and the key book, publishes the device's keys, and
   * starts receiving every DM from its current head. Never replaces a damaged identity or key
   * book: that would look like a key change to everyone, or trust every key again.
   */
  start(): Promise<StartResult> {
    this.started ??= this.begin();
    return this.started;
  }

  private async begin(): Promise<StartResult> {
    const { conn } = this.o;
    await conn.ready();
    const me = conn.user as UserRef;
    this.me = me;
    const loaded = await loadIdentity(this.o.identities, me);
    if (!loaded.ok) return loaded;
    this.identity = loaded.identity;
    const opened = await openKeyBook({
      store: this.o.keyBook,
      ...(this.o.now ? { now: this.o.now } : {}),
    });
    if (!opened.ok) return { ok: false, reason: "key-book-corrupt" };
    this.book = opened.book;
    this.directory = new KeyDirectory(conn, opened.book, me, this.identity.device, {
      keys: (change) => this.emit("keys", change),
      problem: (text) => this.emit("problem", text),
    });
    this.account = new AccountDevices({
      conn,
      me,
      book: opened.book,
      directory: this.directory,
      identities: this.o.identities,
      getIdentity: () => this.identity as Identity,
      setIdentity: (identity) => {
        this.identity = identity;
      },
    });
    this.trusts = new IdentityTrust(opened.book, String(me.id), (users) =>
      this.refresh(users.map(Number)),
    );
    await publishIdentity(conn, me, this.identity);
    await this.account.ensure();
    await this.refresh([me.id]);
    const account = this.account;
    this.backup = new KeyBackupSync({
      conn,
      me,
      book: opened.book,
      getIdentity: () => this.identity as Identity,
      adoptAccountKey: (key) => account.adopt(key),
      ...(this.o.restoredKeys ? { store: this.o.restoredKeys } : {}),
    });
    await this.backup.load();
    const attached = new Set(conn.joinedRooms().map((r) => r.id));
    for (const room of await conn.listRooms()) {
      if (room.kind !== "dm" || !room.joined) continue;
      this.learn(room);
      // Attached already (the browser attaches all rooms with one resume): no request per DM.
      if (!attached.has(room.id)) await conn.openDm(room.name, { from: "head" });
    }
    return { ok: true };
  }

  /** This device's id, once started. */
  get device(): string | undefined {
    return this.identity?.device;
  }

  /** This account's encrypted key backup, as this device sees it; undefined until started. */
  get keyBackup(): KeyBackupSync | undefined {
    return this.backup;
  }

  /**
   * Adds to the key backup the content keys of every DM in its history this device can open (a
   * backup keeps what is opened from its creation on); resolves with how many, once stored.
   */
  async backUpHistory(): Promise<number> {
    const backup = this.backup;
    if (!(await this.start()).ok || !backup?.enabled) return 0;
    const rooms = (await this.o.conn.listRooms()).filter((r) => r.kind === "dm" && r.joined);
    return backup.backfill(
      rooms.map((r) => r.id),
      async (m) => {
        const peer = await this.peerFor(m.room);
        return peer && contentKeyOf(m, this.contextFor(peer));
      },
    );
  }

  /** This account's device list, as this device can sign it; undefined until started. */
  get devices(): AccountDevices | undefined {
    return this.account;
  }

  close(): void {
    for (const c of this.cleanups.splice(0)) c();
  }

  // ---- Conversations ----

  /** Opens the DM with `user` (creating it on first use) and receives it from then on. */
  async openDm(user: string, options: { from?: number | "head" } = {}): Promise<RoomSummary> {
    const room = await this.o.conn.openDm(user, options);
    this.learn(room);
    return room;
  }

  /** The other person of a DM this session knows, or undefined. */
  peerOf(room: number): UserRef | undefined {
    return this.peers.get(room);
  }

  private learn(room: RoomSummary): void {
    if (room.kind === "dm" && room.peer) {
      this.peers.set(room.id, { id: room.peer.id, name: room.peer.name });
    }
  }

  private isDm(m: Message): boolean {
    const kind = this.o.conn.joinedRooms().find((r) => r.id === m.room)?.kind;
    return kind === "dm" || (kind !== "group" && (!!m.envelope || this.peers.has(m.room)));
  }

  private async peerFor(room: number): Promise<UserRef | undefined> {
    const known = this.peers.get(room);
    if (known) return known;
    for (const r of await this.o.conn.listRooms()) this.learn(r);
    return this.peers.get(room);
  }

  // ---- Sending ----
  /**
   * Queues a DM (maybe a reply), sealed as it goes (again, same cid, on each retry) for both
   * people's devices; if either person's keys changed and were not accepted, it waits (`held`)
   * until trust() is called for them.
   */
  send(room: number, text: string, cid?: string, reply?: number): OutboxItem {
    return this.o.conn.send(room, text, {
      seal: (id) => this.sealFor(room, text, id),
      ...(cid ? { cid } : {}),
      ...(reply !== undefined ? { reply } : {}),
    });
  }

  async sealFor(room: number, text: string, cid: string) {
    const result = await this.start();
    if (!result.ok)
      throw new RequestError("NO_IDENTITY", "Encryption is not set up on this device.");
    const peer = await this.peerFor(room);
    const me = this.me as UserRef;
    if (!peer) throw new RequestError("ROOM_NOT_FOUND", "That conversation is not known here.");
    await this.refresh([peer.id, me.id]);
    const from = this.identity as Identity;
    const linked = this.account?.state === "linked";
    return sealDm(
      { from, me, peer, book: this.book as KeyBook, linked, now: this.o.now },
      {
        room,
        text,
        cid,
      },
    );
  }

  /**
   * The refusal a sealer of any sealed conversation (a group's) throws when `user`'s keys changed
   * unaccepted: the send is then held like a DM's, until trust() of that user (held-sends.ts).
   */
  heldFor(cid: string, user: UserRef): RequestError {
    return this.held.heldFor(cid, user);
  }

  private hold(item: OutboxItem): void {
    this.emit("held", this.held.add(item, this.peers.get(item.room)), item.body);
  }

  /** Messages waiting for a key change to be accepted. */
  heldMessages(): readonly { room: number; cid: string; body: string; user: UserRef }[] {
    return this.held.list();
  }

  // ---- Trust ----

  /** The user id for a name: a DM peer, or oneself. */
  private userNamed(name: string): UserRef | undefined {
    if (this.me && nameKey(this.me.name) === nameKey(name)) return this.me;
    const known = [...this.peers.values(), ...this.held.list().map((h) => h.user)];
    return known.find((p) => nameKey(p.name) === nameKey(name));
  }

  /** Trust state of a user by name, for display. */
  trustOf(name: string): "unverified" | "verified" | "changed" | undefined {
    const user = this.userNamed(name);
    return user && this.book?.trust(String(user.id));
  }

  /**
   * Whose changed keys messages to `peer` wait for: the other person's ("peer"), one's own
   * account's ("self"), or nobody's.
   */
  waitingOn(peer: string): "peer" | "self" | undefined {
    if (this.trustOf(peer) === "changed") return "peer";
    if (this.me && this.trustOf(this.me.name) === "changed") return "self";
    return undefined;
  }

  /** Accepts the identity key of `name` announced as changed, and sends what waited for it. */
  async trust(name: string): Promise<TrustResult> {
    const user = this.userNamed(name);
    if (!user || !this.trusts) return "unknown-user";
    const result = await this.trusts.accept(String(user.id));
    if (result === "updated") this.release();
    return result;
  }

  /** The safety number for `name`, over both identity keys, to compare out of band. */
  async safetyNumberWith(name: string): Promise<string | undefined> {
    const user = this.userNamed(name);
    return user && this.trusts?.safetyNumber(String(user.id));
  }

  /** After the safety numbers matched: the identity key they were computed from is verified. */
  async markVerified(name: string): Promise<TrustResult> {
    const user = this.userNamed(name);
    if (!user || !this.trusts) return "unknown-user";
    const result = await this.trusts.markVerified(String(user.id));
    if (result === "updated") this.release();
    return result;
  }

  /** After another tab changed the shared key book: reads it again and sends what waited. */
  async reloadKeys(): Promise<void> {
    if (!this.book) return;
    await this.book.reload();
    this.release();
  }

  /** Queues again, under their first cid, the held messages nothing holds back any more. */
  private release(): void {
    const book = this.book as KeyBook;
    const me = String(this.me?.id);
    if (book.trust(me) === "changed") return;
    for (const h of this.held.release((u) => book.trust(u) === "changed")) {
      const reply = h.reply !== undefined ? { reply: h.reply } : {};
      if (!h.seal) this.send(h.room, h.body, h.cid, h.reply);
      else this.o.conn.send(h.room, h.body, { seal: h.seal, cid: h.cid, ...reply });
    }
  }

  // ---- Keys ----

  /** Fetches, verifies and records the devices of some users; announces what changed. */
  private refresh(users: number[]): Promise<void> {
    return (this.directory as KeyDirectory).refresh(users);
  }

  private onPush(f: PushFrame): void {
    if (f.type === "dm_opened") this.learn(f.room);
    if (f.type !== "devices_changed") return;
    this.chain = this.chain
      .then(async () => {
        if ((await this.start()).ok) await this.refresh([f.user.id]);
      })
      .catch(() => {}); // offline: the next send or open fetches the keys again
  }

  // ---- Receiving ----

  private enqueueOpen(m: Message): void {
    this.inOrder(() => this.reveal(m).then((c) => c && this.emit("message", c.message, c.content)));
  }

  /** Runs `task` after every open queued before it: DM changes keep their place among messages. */
  inOrder(task: () => Promise<unknown>): void {
    this.chain = this.chain.then(task).catch(() => {});
  }

  /**
   * Opens one DM message: live ones (`dedupe`, the default: undefined for a duplicate delivery
   * of one already shown) and history pages (`dedupe: false`). dm-reveal.ts says what it shows.
   */
  async reveal(
    m: Message,
    { dedupe = true } = {},
  ): Promise<{ message: Message; content: DmContent } | undefined> {
    const started = await this.start();
    const peer = await this.peerFor(m.room);
    if (!started.ok || !peer) return { message: m, content: { kind: "not-addressed" } };
    return revealDm(m, this.contextFor(peer), dedupe);
  }

  /** What opening a DM with `peer` needs, once started. */
  private contextFor(peer: UserRef): RevealContext {
    return {
      identity: this.identity as Identity,
      me: this.me as UserRef,
      peer,
      book: this.book as KeyBook,
      directory: this.directory as KeyDirectory,
      backup: this.backup as KeyBackupSync,
      refresh: (user: number) => this.refresh([user]),
    };
  }
}
