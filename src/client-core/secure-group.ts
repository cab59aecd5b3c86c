/**
 * End-to-end encrypted group conversations for every client (docs/e2ee.md section 12), beside
 * SecureDm, whose keys it uses. A group's membership is a chain of versions signed by members'
 * devices, read from the server (`group_state`) and from the room's log live; each is accepted
 * only as the next of the chain this device verified, signed by a device in the signer's
 * accepted device list (src/crypto/group-membership.ts). A version the server forged, replayed or
 * reordered is refused and shown as such, and changes nothing. A message is sealed for every
 * accepted device of the members of the newest accepted version, and opened with those members as
 * its only possible participants, so a removed member is never addressed after the removal.
 */
import {
  acceptMembership,
  GROUP_DEVICES_MAX,
  type MembershipCheck,
  seal,
  signMembership,
  type VerifiedMembership,
} from "../crypto/index.ts";
import {
  groupConversation,
  type Message,
  type RoomEvent,
  type RoomSummary,
  type UserRef,
} from "../protocol/index.ts";
import { type Connection, RequestError } from "./connection.ts";
import { groupContentKey, type Revealed, revealGroupMessage } from "./group-reveal.ts";
import { describe } from "./membership-lines.ts";
import type { OutboxItem } from "./outbox.ts";
import type { SecureDm } from "./secure-dm.ts";
import type { SecureDmKeys as GroupKeys } from "./secure-dm-keys.ts";
import type { GroupContent, SecureGroupsEvents } from "./secure-group-events.ts";

export type { GroupContent, MembershipChange } from "./secure-group-events.ts";

interface Chain {
  /** Accepted versions, oldest first, with the seq each was stored at. */
  versions: { seq: number; m: VerifiedMembership }[];
  /** Seqs of membership events judged already (live and from `group_state`). */
  seen: Set<number>;
  loaded: boolean;
}

type Listeners = { [K in keyof SecureGroupsEvents]: Set<SecureGroupsEvents[K]> };

export class SecureGroups {
  private readonly listeners: Listeners = { message: new Set(), membership: new Set() };
  private readonly chains = new Map<number, Chain>();
  /** Names by user id, as the server reported them (for timeline lines only). */
  private readonly names = new Map<string, string>();
  /** Everything runs one at a time, so events and messages are judged in the order they came. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly cleanups: (() => void)[] = [];

  constructor(private readonly o: { conn: Connection; dm: SecureDm }) {
    const { conn } = o;
    this.cleanups.push(
      conn.on("message", (m) => {
        if (this.isGroup(m.room)) this.enqueue(() => this.show(m));
      }),
      conn.on("event", (e) => {
        if (e.kind === "membership" && this.isGroup(e.room)) this.enqueue(() => this.onEvent(e));
      }),
      conn.on("push", (f) => {
        if (f.type === "group_added") this.enqueue(() => this.attach(f.room));
      }),
    );
  }

  on<K extends keyof SecureGroupsEvents>(event: K, fn: SecureGroupsEvents[K]): () => void {
    (this.listeners[event] as Set<SecureGroupsEvents[K]>).add(fn);
    return () => (this.listeners[event] as Set<SecureGroupsEvents[K]>).delete(fn);
  }

  close(): void {
    for (const c of this.cleanups.splice(0)) c();
  }

  private emit<K extends keyof SecureGroupsEvents>(
    event: K,
    ...args: Parameters<SecureGroupsEvents[K]>
  ): void {
    for (const fn of this.listeners[event]) {
      (fn as (...a: Parameters<SecureGroupsEvents[K]>) => void)(...args);
    }
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => {});
    return next;
  }

  private isGroup(room: number): boolean {
    return this.o.conn.joinedRooms().find((r) => r.id === room)?.kind === "group";
  }

  private async keys(): Promise<GroupKeys> {
    const started = await this.o.dm.start();
    const keys = this.o.dm.devices?.keys;
    if (!started.ok || !keys) {
      throw new RequestError("NO_IDENTITY", "Encryption is not set up on this device.");
    }
    return keys;
  }

  /**
   * Judges the chains of the groups this connection receives, so each membership change,
   * accepted or rejected, is told once. With `list`, first asks the server for the user's groups
   * and attaches them all with one `resume` (a client that has not attached its rooms itself).
   */
  async start({ list = false } = {}): Promise<number[]> {
    await this.keys();
    if (list) {
      const rooms = await this.o.conn.listRooms();
      await this.o.conn.attachAll(rooms.filter((r) => r.kind === "group" && r.joined));
    }
    const groups = this.o.conn.joinedRooms().filter((r) => r.kind === "group");
    for (const g of groups) await this.enqueue(() => this.chain(g.id));
    return groups.map((g) => g.id);
  }

  // ---- Membership ----

  /** Creates a group of this user (its admin) and the people named. */
  async create(name: string, members: readonly string[]): Promise<RoomSummary> {
    const users = await this.lookup(members);
    const reply = await this.o.conn.request<"created">({ type: "group_create", name });
    const room = reply.room;
    await this.o.conn.attachAll([room], { recent: 0 });
    this.chains.set(room.id, { versions: [], seen: new Set(), loaded: true });
    const me = String((await this.keys()).me.id);
    await this.change(room.id, [me, ...users], [me]);
    return room;
  }

  /** Adds people to the group (an admin's change). */
  async add(room: number, names: readonly string[]): Promise<void> {
    const current = await this.current(room);
    const users = await this.lookup(names);
    await this.change(room, [...current.members, ...users], current.admins);
  }

  /** Removes people from the group (an admin's change). */
  async remove(room: number, names: readonly string[]): Promise<void> {
    const current = await this.current(room);
    const gone = new Set(await this.lookup(names));
    const keep = (list: readonly string[]) => list.filter((u) => !gone.has(u));
    await this.change(room, keep(current.members), keep(current.admins));
  }

  /**
   * Makes exactly these members the group's admins (an admin's change), who alone may then
   * change it, and whom the server lets rename, archive or delete it.
   */
  async setAdmins(room: number, names: readonly string[]): Promise<void> {
    const current = await this.current(room);
    const admins = await this.lookup(names);
    const outsider = admins.find((u) => !current.members.includes(u));
    if (outsider !== undefined) {
      throw new RequestError("NOT_MEMBER", `${this.nameOf(outsider)} is not in this group.`);
    }
    if (admins.length === 0) throw new RequestError("INVALID", "Name at least one admin.");
    await this.change(room, [...current.members], admins);
  }

  /** Leaves the group; an admin who is the last one hands it to the first member left. */
  async leave(room: number): Promise<void> {
    const current = await this.current(room);
    const me = String((await this.keys()).me.id);
    const members = current.members.filter((u) => u !== me);
    if (members.length === 0) {
      throw new RequestError("LAST_MEMBER", "You are the group's only member.");
    }
    const admins = current.admins.filter((u) => u !== me);
    await this.change(room, members, admins.length > 0 ? admins : [members[0] as string]);
  }

  /** The members (user ids) of the newest accepted version; undefined before any. */
  async members(room: number): Promise<readonly string[] | undefined> {
    return this.enqueue(async () => (await this.chain(room)).versions.at(-1)?.m.members);
  }

  /** The admins (user ids) of the newest accepted version; undefined before any. */
  async admins(room: number): Promise<readonly string[] | undefined> {
    return this.enqueue(async () => (await this.chain(room)).versions.at(-1)?.m.admins);
  }

  /** A member's name as last reported, for display. */
  nameOf(user: string): string {
    return this.names.get(user) ?? `user ${user}`;
  }

  private async learnNames(room: number): Promise<void> {
    const members = await this.o.conn.members(room).catch(() => []);
    for (const u of members) this.names.set(String(u.id), u.name);
  }

  private async lookup(names: readonly string[]): Promise<string[]> {
    if (names.length === 0) return [];
    // Members already named here (a removal, most often) need no request.
    const byName = new Map([...this.names].map(([id, n]) => [n.toLowerCase(), id]));
    const known = names.map((n) => byName.get(n.toLowerCase()));
    if (known.every((id) => id !== undefined)) return known as string[];
    const reply = await this.o.conn.request<"group_lookup">({
      type: "group_lookup",
      names: [...names],
    });
    for (const u of reply.users) this.names.set(String(u.id), u.name);
    const found = new Set(reply.users.map((u) => u.name.toLowerCase()));
    const missing = names.filter((n) => !found.has(n.toLowerCase()));
    if (missing.length > 0)
      throw new RequestError("USER_NOT_FOUND", `No such user: ${missing[0]}.`);
    return reply.users.map((u) => String(u.id));
  }

  private current(room: number): Promise<VerifiedMembership> {
    return this.enqueue(async () => {
      const newest = (await this.chain(room)).versions.at(-1)?.m;
      if (!newest) throw new RequestError("NOT_MEMBER", "This group has no membership yet.");
      return newest;
    });
  }

  /** Signs and stores the next version; the server stores it as an event of the room's log. */
  private async change(room: number, members: string[], admins: readonly string[]) {
    const keys = await this.keys();
    const current = await this.enqueue(async () => (await this.chain(room)).versions.at(-1)?.m);
    const membership = await signMembership({
      conv: groupConversation(room),
      current,
      members,
      admins,
      by: keys.identity,
    });
    await this.o.conn.request<"ok">({ type: "group_membership", room, membership });
  }

  /** Made a member elsewhere: receive the group from now on. */
  private async attach(room: number): Promise<void> {
    const summary = (await this.o.conn.listRooms()).find((r) => r.id === room);
    if (summary) await this.o.conn.attachAll([summary]);
  }

  /** The chain of a group, read from the server the first time. */
  private async chain(room: number): Promise<Chain> {
    let chain = this.chains.get(room);
    if (!chain) {
      chain = { versions: [], seen: new Set(), loaded: false };
      this.chains.set(room, chain);
    }
    if (!chain.loaded) {
      const reply = await this.o.conn.request<"group_state">({ type: "group_state", room });
      chain.loaded = true;
      for (const v of reply.versions) await this.judge(room, chain, v.seq, v.from, v.body);
    }
    return chain;
  }

  private async onEvent(e: RoomEvent): Promise<void> {
    const chain = await this.chain(e.room);
    await this.judge(e.room, chain, e.seq, e.from, e.body ?? "");
  }

  /** Accepts a stored version as the chain's next, or refuses it; either way says so once. */
  private async judge(room: number, chain: Chain, seq: number, from: UserRef, body: string) {
    if (chain.seen.has(seq)) return;
    chain.seen.add(seq);
    this.names.set(String(from.id), from.name);
    const keys = await this.keys();
    const current = chain.versions.at(-1)?.m;
    let input: unknown;
    try {
      input = JSON.parse(body);
    } catch {
      input = undefined;
    }
    const by = (input as { by?: { u?: unknown; d?: unknown } } | undefined)?.by;
    let signer = keys.directory
      .accepted(String(by?.u))
      .find((b) => b.device === by?.d && b.user === by?.u);
    if (!signer && typeof by?.u === "string" && /^[0-9]{1,15}$/.test(by.u)) {
      await keys.directory.refresh([Number(by.u)]).catch(() => {});
      signer = keys.directory.accepted(by.u).find((b) => b.device === by.d);
    }
    const check: MembershipCheck | { ok: false; reason: "unknown-signer" } = signer
      ? await acceptMembership(input, current, signer)
      : { ok: false, reason: input === undefined ? "malformed" : "unknown-signer" };
    if (!check.ok) {
      const text = `A membership change stored by the server was rejected (${check.reason}): nothing changed.`;
      this.emit("membership", { room, seq, outcome: "rejected", reason: check.reason, text });
      return;
    }
    chain.versions.push({ seq, m: check.membership });
    if (check.membership.members.some((u) => !this.names.has(u))) await this.learnNames(room);
    const text = describe(check.membership, current, (u) => this.nameOf(u));
    this.emit("membership", {
      room,
      seq,
      outcome: "accepted",
      version: check.membership.version,
      text,
    });
  }

  // ---- Messages ----

  /**
   * Queues a message for the group (`reply`: the seq it answers), sealed as it goes (again, same
   * cid, on each retry).
   */
  send(room: number, text: string, cid?: string, reply?: number): OutboxItem {
    return this.o.conn.send(room, text, {
      seal: (id) => this.sealFor(room, text, id),
      ...(cid ? { cid } : {}),
      ...(reply !== undefined ? { reply } : {}),
    });
  }

  /** Runs `task` after everything queued before it: a change keeps its place (sealed-changes.ts). */
  inOrder(task: () => Promise<unknown>): void {
    void this.enqueue(task).catch(() => {});
  }

  /** Opens a live message or a change's carrier (undefined for a repeat delivery). */
  reveal(m: Message): Promise<{ message: Message; content: GroupContent } | undefined> {
    return this.open(m, true);
  }

  /** Seals `text` for the group's members' accepted devices, bound to `cid`. */
  async sealFor(room: number, text: string, cid: string) {
    const keys = await this.keys();
    if (this.o.dm.devices?.state !== "linked") {
      throw new RequestError("UNLINKED", "This device is not linked to your account yet (/link).");
    }
    const current = await this.current(room);
    if (!current.members.includes(String(keys.me.id))) {
      throw new RequestError("NOT_MEMBER", "You are no longer a member of this group.");
    }
    await keys.directory.refresh(current.members.map(Number));
    // As a DM: nothing goes while a member's (or one's own) identity key changed unaccepted.
    const changed = current.members.find((u) => keys.book.trust(u) === "changed");
    if (changed !== undefined) {
      throw this.o.dm.heldFor(cid, { id: Number(changed), name: this.nameOf(changed) });
    }
    return seal({
      from: keys.identity,
      conversation: groupConversation(room),
      text,
      id: cid,
      to: current.members.flatMap((u) => keys.directory.accepted(u)),
      maxDevices: GROUP_DEVICES_MAX,
    });
  }

  /** Opens a group message from a history page (what a live one gets, without the event). */
  revealStored(m: Message): Promise<{ message: Message; content: GroupContent } | undefined> {
    return this.enqueue(() => this.open(m, false));
  }

  private async show(m: Message): Promise<void> {
    const shown = await this.open(m, true);
    if (shown) this.emit("message", shown.message, shown.content);
  }

  /**
   * Adds to the key backup the content keys of every group message in this device's groups'
   * history it can open (as SecureDm.backUpHistory for DMs); resolves with how many.
   */
  async backUpHistory(): Promise<number> {
    const backup = this.o.dm.keyBackup;
    if (!backup?.enabled) return 0;
    const keys = await this.keys();
    const rooms = (await this.o.conn.listRooms()).filter((r) => r.kind === "group" && r.joined);
    return backup.backfill(
      rooms.map((r) => r.id),
      async (m) =>
        groupContentKey(m, keys, (await this.enqueue(() => this.chain(m.room))).versions),
    );
  }

  /** Opens `m` with the members of the version in effect when it was stored (group-reveal.ts). */
  private async open(m: Message, live: boolean): Promise<Revealed> {
    const keys = await this.keys();
    const { versions } = await this.chain(m.room);
    return revealGroupMessage(m, keys, versions, live, this.o.dm.keyBackup);
  }
}
