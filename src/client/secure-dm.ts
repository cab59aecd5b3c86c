/**
 * End-to-end encrypted direct messages around a Connection, for every client (terminal and
 * browser: no node: imports; the identity and the key book are kept by injected stores). It
 * publishes this device's keys, seals each DM for every device of both people (re-sealed with
 * the same cid on every retry), opens what arrives in seq order, and keeps trust on first use:
 * a changed key is announced, and messages to that person wait until the user accepts it.
 */
import {
  checkIdentity,
  createIdentity,
  type DeviceBundle,
  exportIdentity,
  type Identity,
  type IdentityFile,
  identityFileSchema,
  importIdentity,
  type KeyBook,
  type KeyBookStore,
  type Observation,
  open,
  openKeyBook,
  safetyNumber,
  seal,
  type TamperReason,
  type VerifiedBundle,
  verifyBundle,
} from "../crypto/index.ts";
import {
  dmConversation,
  type Message,
  nameKey,
  type RoomSummary,
  type UserRef,
} from "../protocol/index.ts";
import { type Connection, type PushFrame, RequestError } from "./connection.ts";
import type { OutboxItem } from "./outbox.ts";

/** Where this device's identity (with its private keys) is kept. */
export interface IdentityStore {
  /**
   * "file": the identity exported with its private keys (the terminal's 0600 file). "keys": the
   * Identity itself, its private keys non-extractable (a browser's IndexedDB keeps CryptoKeys
   * by structured clone, so no script can ever read the private keys out). @default "file"
   */
  readonly keeps?: "file" | "keys";
  /** The saved identity as stored, or undefined if there is none yet. */
  load(): Promise<unknown>;
  save(value: IdentityFile | Identity): Promise<void>;
}

/** What a DM turned out to hold once opened on this device. */
export type DmContent =
  | { kind: "text"; text: string }
  /** Altered or forged: never shown as text. */
  | { kind: "tampered"; reason: TamperReason | "no-envelope" }
  /** Authentic, but sealed before this device existed (or without it). */
  | { kind: "not-addressed" }
  /** Sent by a device the server does not list, even after fetching its keys again. */
  | { kind: "unknown-sender" };

export interface KeyChange {
  user: UserRef;
  /** The user is the one of this session (another device of one's own). */
  self: boolean;
  observation: Observation;
}

export interface SecureDmEvents {
  /** A DM message, opened; in seq order per conversation. `from` is who sealed it. */
  message: (m: Message, content: DmContent) => void;
  /** A person's devices changed (added, replaced or removed) since they were last recorded. */
  keys: (change: KeyChange) => void;
  /** A message waits until its sender accepts a key change with trust(). */
  held: (peer: UserRef, body: string) => void;
  /** Something to tell the user that belongs to no message (a bad bundle, for instance). */
  problem: (text: string) => void;
}

export type StartResult =
  | { ok: true }
  | { ok: false; reason: "identity-damaged" | "identity-foreign" | "key-book-corrupt" };

export type TrustResult = "updated" | "stale" | "unknown-user";

interface Held {
  room: number;
  cid: string;
  body: string;
}

/** Envelope ids remembered per session to drop a replayed (device, id). */
const SEEN_MAX = 50_000;

type Listeners = { [K in keyof SecureDmEvents]: Set<SecureDmEvents[K]> };

export class SecureDm {
  private readonly listeners: Listeners = {
    message: new Set(),
    keys: new Set(),
    held: new Set(),
    problem: new Set(),
  };
  private identity: Identity | undefined;
  private book: KeyBook | undefined;
  private me: UserRef | undefined;
  private started: Promise<StartResult> | undefined;
  /** The other person of each DM room. */
  private readonly peers = new Map<number, UserRef>();
  /** Messages waiting for trust() of their peer (or of one's own devices). */
  private readonly held: Held[] = [];
  /** The devices shown when a change was announced: trust() accepts exactly these. */
  private readonly shown = new Map<string, DeviceBundle[]>();
  private readonly seen = new Set<string>();
  /** Opens run one at a time, so messages come out in the order they came in. */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly o: {
      conn: Connection;
      identities: IdentityStore;
      keyBook: KeyBookStore;
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
    (this.listeners[event] as Set<SecureDmEvents[K]>).add(fn);
    return () => {
      (this.listeners[event] as Set<SecureDmEvents[K]>).delete(fn);
    };
  }

  private emit<K extends keyof SecureDmEvents>(
    event: K,
    ...args: Parameters<SecureDmEvents[K]>
  ): void {
    for (const fn of this.listeners[event]) {
      (fn as (...a: Parameters<SecureDmEvents[K]>) => void)(...args);
    }
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
    const keeps = this.o.identities.keeps ?? "file";
    const saved = await this.o.identities.load();
    if (saved === undefined) {
      this.identity = await createIdentity({ user: String(me.id), extractable: keeps === "file" });
      await this.o.identities.save(
        keeps === "file" ? await exportIdentity(this.identity) : this.identity,
      );
    } else {
      // A file (the terminal's, or a browser's from before it kept the keys) or the keys.
      const isFile = identityFileSchema.safeParse(saved).success;
      const restored = isFile ? await importIdentity(saved) : await checkIdentity(saved);
      if (!restored.ok) return { ok: false, reason: "identity-damaged" };
      if (restored.identity.user !== String(me.id)) {
        return { ok: false, reason: "identity-foreign" };
      }
      this.identity = restored.identity;
      // Replace an exported file by the non-extractable keys it was imported as.
      if (isFile && keeps === "keys") await this.o.identities.save(restored.identity);
    }
    const opened = await openKeyBook({
      store: this.o.keyBook,
      ...(this.o.now ? { now: this.o.now } : {}),
    });
    if (!opened.ok) return { ok: false, reason: "key-book-corrupt" };
    this.book = opened.book;
    await this.publish();
    await this.refresh([me.id]);
    const attached = new Set(conn.joinedRooms().map((r) => r.id));
    for (const room of await conn.listRooms()) {
      if (room.kind !== "dm" || !room.joined) continue;
      this.learn(room);
      // Attached already (the browser attaches all rooms with one resume): no request per DM.
      if (!attached.has(room.id)) await conn.openDm(room.name, { from: "head" });
    }
    return { ok: true };
  }

  /** Publishes this device's bundle unless the server already lists exactly it. */
  private async publish(): Promise<void> {
    const { conn } = this.o;
    const identity = this.identity as Identity;
    const me = this.me as UserRef;
    const listed = await conn.request<"devices">({ type: "devices", users: [me.id] });
    const mine = listed.users[0]?.devices.find((b) => b.device === identity.device);
    const same =
      mine &&
      mine.x25519 === identity.bundle.x25519 &&
      mine.ed25519 === identity.bundle.ed25519 &&
      mine.sig === identity.bundle.sig;
    if (!same) await conn.request<"ok">({ type: "device", bundle: identity.bundle });
  }

  /** This device's id, once started. */
  get device(): string | undefined {
    return this.identity?.device;
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
    if (m.envelope !== undefined || this.peers.has(m.room)) return true;
    return this.o.conn.joinedRooms().find((r) => r.id === m.room)?.kind === "dm";
  }

  private async peerFor(room: number): Promise<UserRef | undefined> {
    const known = this.peers.get(room);
    if (known) return known;
    for (const r of await this.o.conn.listRooms()) this.learn(r);
    return this.peers.get(room);
  }

  // ---- Sending ----

  /**
   * Queues a DM. It is sealed when it goes (and again, same cid, on each retry) for the devices
   * recorded for both people; if either person's keys changed and were not accepted, it waits
   * (`held`) until trust() is called for them.
   */
  send(room: number, text: string, cid?: string): OutboxItem {
    return this.o.conn.send(room, text, {
      seal: (id) => this.sealFor(room, text, id),
      ...(cid ? { cid } : {}),
    });
  }

  private async sealFor(room: number, text: string, cid: string) {
    const result = await this.start();
    if (!result.ok)
      throw new RequestError("NO_IDENTITY", "Encryption is not set up on this device.");
    const peer = await this.peerFor(room);
    const me = this.me as UserRef;
    if (!peer) throw new RequestError("ROOM_NOT_FOUND", "That conversation is not known here.");
    await this.refresh([peer.id, me.id]);
    const book = this.book as KeyBook;
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
      from: this.identity as Identity,
      conversation: dmConversation(room),
      text,
      id: cid,
      to: [...theirs, ...book.devices(String(me.id))],
      ...(this.o.now ? { now: this.o.now } : {}),
    });
  }

  private hold(item: OutboxItem): void {
    this.held.push({ room: item.room, cid: item.cid, body: item.body });
    const peer = this.peers.get(item.room) ?? { id: 0, name: "?" };
    this.emit("held", peer, item.body);
  }

  /** Messages waiting for a key change to be accepted. */
  heldMessages(): readonly { room: number; body: string }[] {
    return this.held;
  }

  // ---- Trust ----

  /** The user id for a name: a DM peer, or oneself. */
  private userNamed(name: string): UserRef | undefined {
    if (this.me && nameKey(this.me.name) === nameKey(name)) return this.me;
    return [...this.peers.values()].find((p) => nameKey(p.name) === nameKey(name));
  }

  /** Trust state of a user by name, for display. */
  trustOf(name: string): "unverified" | "verified" | "changed" | undefined {
    const user = this.userNamed(name);
    return user && this.book?.trust(String(user.id));
  }

  /**
   * Accepts the devices last shown for `name` without comparing safety numbers, and sends what
   * waited for it. "stale" when the devices changed again since they were shown.
   */
  async trust(name: string): Promise<TrustResult> {
    const user = this.userNamed(name);
    const book = this.book;
    if (!user || !book) return "unknown-user";
    const id = String(user.id);
    const seen = this.shown.get(id) ?? book.devices(id);
    const result = await book.acknowledge(id, seen);
    if (result === "updated") this.release();
    return result;
  }

  /** The safety number for `name` (fetching their devices first), to compare out of band. */
  async safetyNumberWith(name: string): Promise<string | undefined> {
    const user = this.userNamed(name);
    const book = this.book;
    const me = this.me;
    if (!user || !book || !me || user.id === me.id) return undefined;
    await this.refresh([user.id, me.id]);
    const theirs = book.devices(String(user.id));
    this.shown.set(String(user.id), theirs);
    return safetyNumber(String(me.id), book.devices(String(me.id)), String(user.id), theirs);
  }

  /** After the safety numbers matched: the devices they were computed from become verified. */
  async markVerified(name: string): Promise<TrustResult> {
    const user = this.userNamed(name);
    const book = this.book;
    if (!user || !book) return "unknown-user";
    const id = String(user.id);
    const seen = this.shown.get(id);
    if (!seen) return "stale";
    const result = await book.markVerified(id, seen);
    if (result === "updated") this.release();
    return result;
  }

  /**
   * Reads the key book again after another holder of a shared store (another tab) changed it,
   * and sends what waited for keys that were accepted there.
   */
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
    for (const h of this.held.splice(0)) {
      const peer = this.peers.get(h.room);
      if (peer && book.trust(String(peer.id)) === "changed") this.held.push(h);
      else this.send(h.room, h.body, h.cid);
    }
  }

  // ---- Keys ----

  /** Fetches, verifies and records the devices of some users; announces what changed. */
  private async refresh(users: number[]): Promise<void> {
    const book = this.book as KeyBook;
    const reply = await this.o.conn.request<"devices">({ type: "devices", users });
    for (const entry of reply.users) {
      const id = String(entry.user.id);
      const verified: VerifiedBundle[] = [];
      for (const b of entry.devices) {
        const check = await verifyBundle(b, { user: id });
        if (check.ok) verified.push(check.bundle);
        else {
          this.emit(
            "problem",
            `Ignored a device of ${entry.user.name} whose keys are not validly signed (${check.reason}).`,
          );
        }
      }
      const observation = await book.observe(id, verified);
      if (observation.kind === "unchanged" || observation.kind === "first-seen") continue;
      const self = entry.user.id === this.me?.id;
      const onlyThisDevice =
        self && observation.changes.every((c) => c.device === this.identity?.device);
      if (onlyThisDevice && observation.trust === "changed") {
        // This device's own new keys: nothing to ask about.
        await book.acknowledge(id, verified);
        continue;
      }
      this.shown.set(id, verified);
      this.emit("keys", { user: entry.user, self, observation });
    }
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
    this.chain = this.chain
      .then(() => this.reveal(m))
      .then(
        (content) => {
          if (content) this.emit("message", content.message, content.content);
        },
        () => {},
      );
  }

  /**
   * Opens one DM message (used for live ones and history pages). undefined for a replay of an
   * envelope already shown. The `from` of the result is the sealing user, not the frame's.
   */
  async reveal(
    m: Message,
    { dedupe = true } = {},
  ): Promise<{ message: Message; content: DmContent } | undefined> {
    const started = await this.start();
    const peer = await this.peerFor(m.room);
    const me = this.me as UserRef;
    if (!started.ok || !peer) return { message: m, content: { kind: "not-addressed" } };
    if (m.envelope === undefined) {
      return { message: m, content: { kind: "tampered", reason: "no-envelope" } };
    }
    const book = this.book as KeyBook;
    const options = () => ({
      me: this.identity as Identity,
      conversation: dmConversation(m.room),
      senders: [...book.devices(String(peer.id)), ...book.devices(String(me.id))],
      participants: [String(peer.id), String(me.id)],
    });
    let result = await open(m.envelope, options());
    if (result.outcome === "unknown-sender") {
      // A device we have not recorded yet: fetch that user's keys and try once more.
      await this.refresh([Number(result.from.user)]).catch(() => {});
      result = await open(m.envelope, options());
    }
    switch (result.outcome) {
      case "opened": {
        const key = `${result.from.user}/${result.from.device}/${result.id}`;
        if (dedupe) {
          if (this.seen.has(key)) return undefined;
          if (this.seen.size >= SEEN_MAX) this.seen.clear();
          this.seen.add(key);
        }
        const from = result.from.user === String(me.id) ? me : peer;
        return {
          message: { ...m, from, body: result.text },
          content: { kind: "text", text: result.text },
        };
      }
      case "tampered":
        return { message: m, content: { kind: "tampered", reason: result.reason } };
      case "not-addressed":
        return { message: m, content: { kind: "not-addressed" } };
      case "unknown-sender":
        return { message: m, content: { kind: "unknown-sender" } };
    }
  }
}
