/**
 * The chat: sidebar, conversation, composer and connection banner, driven by the connection
 * layer every Parley client shares (src/client/connection.ts), so reconnecting, resuming by
 * seq, gap filling and the outbox behave exactly as in the terminal client.
 */

import { systemClock } from "../client/clock.ts";
import { Connection, type RequestError, type Status } from "../client/connection.ts";
import { keyChangeIsLoud, keyChangeSummary } from "../client/dm-notices.ts";
import { FileTransfer } from "../client/file-transfer.ts";
import { ReadMarker } from "../client/read-marker.ts";
import type { KeyChange } from "../client/secure-dm.ts";
import { TypingIndicator, TypingSender, typingText } from "../client/typing-indicator.ts";
import type { Message, RoomSummary, UserRef } from "../protocol/index.ts";
import { newClientId } from "./client-id.ts";
import { Composer } from "./composer.ts";
import { ConnectionBanner } from "./connection-banner.ts";
import { Conversation } from "./conversation.ts";
import { DmDialog } from "./dm-dialog.ts";
import { shareDmFile } from "./dm-file.ts";
import { h } from "./dom.ts";
import { fileDropTarget } from "./file-drop.ts";
import { shareFile } from "./file-share.ts";
import { FileViews } from "./file-view.ts";
import { KeyAlert } from "./key-alert.ts";
import { MessageList } from "./message-list.ts";
import { Notifier } from "./notifications.ts";
import { PrivateMessages, type SealedKind } from "./private-messages.ts";
import { RoomDialog } from "./room-dialog.ts";
import { SafetyDialog } from "./safety-dialog.ts";
import { Sidebar } from "./sidebar.ts";
import { type Theme, themeToggle } from "./theme.ts";

const HISTORY_PAGE = 50;

export interface ChatScreenOptions {
  server: string;
  token: string;
  user: UserRef;
  theme: Theme;
  logout(): void;
  /** The session ended (logged out elsewhere, expired): back to the login screen. */
  ended(message: string): void;
}

export class ChatScreen {
  readonly root: HTMLElement;
  private readonly conn: Connection;
  private readonly conversations = new Map<number, Conversation>();
  /**
   * Messages of a room not listed here yet: a join's replay comes before its reply, and a DM
   * opened by the other person replays before `dm_opened`. Taken in when the room is tracked.
   */
  private readonly early = new Map<number, [Message, SealedKind | undefined][]>();
  private current: number | undefined;
  private readonly sidebar: Sidebar;
  private readonly list: MessageList;
  private readonly composer: Composer;
  private readonly banner = new ConnectionBanner();
  private readonly dialog: RoomDialog;
  private readonly title: HTMLHeadingElement;
  private readonly subtitle: HTMLParagraphElement;
  private readonly typingLine: HTMLParagraphElement;
  private readonly menu: HTMLButtonElement;
  /** Shown instead of a conversation until there is one. */
  private readonly welcome: HTMLElement;
  private readonly typing = new TypingIndicator();
  private readonly typingSender: TypingSender;
  private readonly reads: ReadMarker;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly me: UserRef;
  /** End-to-end encrypted DMs (SecureDm, keys in IndexedDB) and their dialogs. */
  private readonly dms: PrivateMessages;
  private readonly dmDialog: DmDialog;
  private readonly safety: SafetyDialog;
  private readonly keyAlert: KeyAlert;
  private readonly safetyButton: HTMLButtonElement;
  private readonly transfer: FileTransfer;
  private readonly files: FileViews;
  private readonly notifier: Notifier;

  constructor(private readonly o: ChatScreenOptions) {
    this.me = o.user;
    this.conn = new Connection({ server: o.server, token: o.token });
    this.dms = new PrivateMessages(this.conn, this.me, {
      message: (m, sealed) => this.received(m, sealed),
      keys: (k) => this.keysChanged(k),
      problem: (text) => this.dmProblem(text),
    });
    this.transfer = new FileTransfer({ server: () => this.conn.server, token: o.token });
    this.files = new FileViews(this.transfer);
    this.notifier = new Notifier({ open: (room) => this.select(room) });
    this.typingSender = new TypingSender((room) => {
      this.conn.notify({ type: "typing", room });
    });
    this.reads = new ReadMarker(
      (room, seq) => this.conn.notify({ type: "read", room, seq }),
      systemClock,
    );

    const nav = h("nav", { class: "sidebar", id: "sidebar", "aria-label": "Conversations" });
    this.sidebar = new Sidebar(nav, {
      select: (id) => this.select(id),
      addRoom: () => void this.dialog.open(),
      newDm: () => this.dmDialog.open(),
    });
    const logout = h("button", { type: "button", class: "text-button" }, "Log out");
    logout.addEventListener("click", () => o.logout());
    nav.prepend(
      h(
        "div",
        { class: "me" },
        h("span", { class: "avatar", "aria-hidden": "true" }, initial(this.me.name)),
        h("span", { class: "me-name" }, this.me.name),
        this.notifier.toggle,
        themeToggle(o.theme),
        logout,
      ),
    );

    this.list = new MessageList({
      loadOlder: () => void this.loadOlder(),
      fileView: (f) => this.files.render(f),
    });
    this.composer = new Composer({
      send: (text) => this.send(text),
      files: (files) => this.shareFiles(files),
      typing: () => {
        const c = this.currentConversation();
        if (c && !c.isDm) this.typingSender.keystroke(c.id, Date.now());
      },
    });
    this.dialog = new RoomDialog({
      list: () => this.conn.listRooms(),
      join: (name) => this.attach(() => this.conn.join(name)),
      create: (name) => this.attach(() => this.conn.create(name)),
    });
    this.dmDialog = new DmDialog({ open: (name) => this.attach(() => this.dms.open(name)) });
    this.safety = new SafetyDialog({
      safetyNumber: (name) => this.dms.safetyNumber(name),
      trustOf: (name) => this.dms.trustOf(name),
      markVerified: async (name) => {
        const result = await this.dms.markVerified(name);
        this.afterTrust();
        return result;
      },
    });
    const compare = () => {
      const c = this.currentConversation();
      if (c?.isDm) void this.safety.open(c.summary.name);
    };
    this.keyAlert = new KeyAlert({ compare, accept: () => void this.acceptKeys() });
    this.safetyButton = h(
      "button",
      { type: "button", class: "text-button safety-button", hidden: true },
      "Safety number",
    );
    this.safetyButton.addEventListener("click", compare);
    this.title = h("h1", { class: "room-title" }, "Parley");
    this.subtitle = h("p", { class: "room-subtitle" });
    this.typingLine = h("p", { class: "typing", "aria-live": "polite" });
    this.menu = h(
      "button",
      {
        type: "button",
        class: "icon-button menu",
        "aria-label": "Show conversations",
        "aria-controls": "sidebar",
        "aria-expanded": "false",
      },
      "☰",
    );
    this.menu.addEventListener("click", () => this.toggleSidebar());

    const start = h("button", { type: "button", class: "primary" }, "Start a conversation");
    start.addEventListener("click", () => void this.dialog.open());
    this.welcome = h(
      "section",
      { class: "welcome", "aria-label": "No conversation yet" },
      h("span", { class: "logo", "aria-hidden": "true" }, "P"),
      h("h2", {}, `Welcome, ${this.me.name}`),
      h("p", {}, "Create a room or join one to start talking."),
      start,
    );
    const main = h(
      "main",
      { class: "chat", "aria-label": "Conversation" },
      h(
        "header",
        { class: "chat-head" },
        this.menu,
        h("div", { class: "chat-titles" }, this.title, this.subtitle),
        this.safetyButton,
      ),
      this.banner.root,
      this.welcome,
      this.list.root,
      this.typingLine,
      this.keyAlert.root,
      this.composer.root,
    );
    fileDropTarget(main, {
      accepts: () => this.takesFiles(this.currentConversation()),
      dropped: (files) => this.shareFiles(files),
    });
    const scrim = h("div", { class: "scrim", "aria-hidden": "true" });
    scrim.addEventListener("click", () => this.toggleSidebar(false));
    this.root = h(
      "div",
      { class: "shell", "data-sidebar": "closed" },
      nav,
      scrim,
      main,
      this.dialog.root,
      this.dmDialog.root,
      this.safety.root,
    );
    this.root.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.root.dataset.sidebar === "open") this.toggleSidebar(false);
    });

    this.conn.on("status", (s) => this.status(s));
    this.conn.on("message", (m) => {
      // DMs are shown once SecureDm has opened them.
      if (!this.dms.handles(m, this.isDmRoom(m.room))) this.received(m);
    });
    this.conn.on("undeliverable", (item, err) => this.refused(item.room, item.cid, err));
    this.conn.on("push", (f) => {
      if (f.type === "typing") this.typingNotice(f.room, f.user);
      else if (f.type === "notice") this.joinLeave(f.room, f.user, f.event);
      else if (f.type === "presence") this.presence(f.user, f.status);
      else if (f.type === "dm_opened") this.track(f.room);
    });
    document.addEventListener("visibilitychange", () => this.markRead());
    this.sidebar.render(this.conversations.values(), undefined);
    this.root.dataset.view = "welcome";
    this.conn.start();
    void this.load().then(() => this.startDms());
  }

  /** Ends the session's socket for good (logging out, or back to the login screen). */
  close(): void {
    this.dms.close();
    this.conn.close();
    this.reads.close();
    this.files.close();
    this.notifier.close();
    clearTimeout(this.typingTimer);
  }

  // ---- Rooms ----

  /** Lists the rooms and DMs and attaches each joined one, one at a time (rate limits). */
  private async load(): Promise<void> {
    let rooms: RoomSummary[];
    try {
      rooms = (await this.conn.listRooms()).filter((r) => r.joined);
    } catch {
      return; // stopped: the status says why
    }
    for (const r of rooms) this.track(r);
    const first = rooms.find((r) => r.kind === "room") ?? rooms[0];
    if (first && this.current === undefined) this.select(first.id);
    for (const r of rooms) {
      try {
        if (r.kind === "dm") await this.conn.openDm(r.name);
        else await this.conn.join(r.name);
      } catch {
        // Refused (a DM the other person blocks, a room gone): it stays listed, unattached.
      }
    }
  }

  private track(summary: RoomSummary): Conversation {
    let c = this.conversations.get(summary.id);
    if (c) c.summary = { ...summary, unread: c.summary.unread };
    else {
      c = new Conversation(summary);
      this.conversations.set(summary.id, c);
      const early = this.early.get(summary.id) ?? [];
      this.early.delete(summary.id);
      for (const [m, sealed] of early) this.received(m, sealed);
    }
    this.renderSidebar();
    return c;
  }

  /** Joins or creates a room and switches to it; a refusal comes back as text. */
  private async attach(run: () => Promise<RoomSummary>): Promise<string | undefined> {
    try {
      const room = await run();
      this.track(room);
      this.select(room.id);
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  private select(id: number): void {
    const c = this.conversations.get(id);
    if (!c) return;
    this.current = id;
    this.root.dataset.view = "conversation";
    this.renderHeader(c);
    this.list.show(c, this.me);
    if (c.isDm && c.firstSeq === undefined && c.summary.head > 0) void this.loadOlder();
    this.composer.target(c.label, c.isDm ? this.dms.off : undefined);
    this.composer.allowFiles(this.takesFiles(c), this.dms.off);
    this.renderTyping();
    this.toggleSidebar(false);
    this.markRead();
    this.renderSidebar();
    this.composer.focus();
  }

  private renderHeader(c: Conversation): void {
    const members = `${c.summary.members} member${c.summary.members === 1 ? "" : "s"}`;
    this.title.textContent = c.label;
    this.renderDmChrome(c);
    this.subtitle.textContent = c.isDm
      ? [c.peerStatus, "end-to-end encrypted"].filter(Boolean).join(" · ")
      : `${members}${c.summary.topic ? ` · ${c.summary.topic}` : ""}`;
  }

  private currentConversation(): Conversation | undefined {
    return this.current === undefined ? undefined : this.conversations.get(this.current);
  }

  private async loadOlder(): Promise<void> {
    const c = this.currentConversation();
    // A DM received from its head starts empty: its newest page comes first.
    const empty = c?.isDm && c.firstSeq === undefined && c.summary.head > 0;
    const before = empty ? (c?.summary.head ?? 0) + 1 : c?.firstSeq;
    if (!c || c.loadingOlder || (!c.hasOlder && !empty) || before === undefined) return;
    c.loadingOlder = true;
    this.list.syncOlder();
    try {
      const page = await this.conn.history(c.id, { before, limit: HISTORY_PAGE });
      if (c.isDm) {
        const opened = await this.dms.reveal(page.messages);
        const sealed = new Map<number, SealedKind>();
        for (const o of opened) if (o.sealed) sealed.set(o.message.seq, o.sealed);
        c.prepend(
          opened.map((o) => o.message),
          page.more,
          sealed,
        );
      } else c.prepend(page.messages, page.more);
    } catch {
      // Offline or refused: the button stays, to try again.
    } finally {
      c.loadingOlder = false;
    }
    if (this.current === c.id) this.list.show(c, this.me, true);
  }

  // ---- Messages ----

  private send(text: string): void {
    const c = this.currentConversation();
    if (!c || (c.isDm && this.dms.off)) return;
    const cid = newClientId();
    c.pending.push({ cid, body: text, ts: Date.now(), state: "pending" });
    this.typingSender.sent(c.id);
    this.list.renderPending();
    this.list.scrollToBottom();
    if (c.isDm) this.dms.send(c.id, text, cid);
    else this.conn.send(c.id, text, { cid });
  }

  /** Whether files can be shared in `c`: any room, and a DM while encryption works here. */
  private takesFiles(c: Conversation | undefined): boolean {
    return c !== undefined && !(c.isDm && this.dms.off);
  }

  /**
   * Uploads and shares files in the conversation on screen, one after another, in the order
   * given; in a DM encrypted first and shared by a sealed descriptor, like a text DM.
   */
  private shareFiles(files: File[]): void {
    const c = this.currentConversation();
    if (!c || !this.takesFiles(c)) return;
    this.list.scrollToBottom();
    const changed = (room: number) => {
      if (this.current === room) this.list.renderPending();
    };
    void (async () => {
      for (const file of files) {
        if (c.isDm) {
          await shareDmFile(c, file, {
            transfer: this.transfer,
            send: (room, text, cid) => this.dms.send(room, text, cid),
            changed,
          });
        } else {
          await shareFile(c, file, {
            transfer: this.transfer,
            send: (room, cid, id) => this.conn.send(room, "", { cid, file: id }),
            changed,
          });
        }
      }
    })();
  }

  private received(m: Message, sealed?: SealedKind): void {
    const c = this.conversations.get(m.room);
    if (!c) {
      const early = this.early.get(m.room) ?? [];
      if (early.length < 1000) early.push([m, sealed]);
      this.early.set(m.room, early);
      return;
    }
    const hadPending = c.pending.some((p) => p.cid === m.cid);
    if (c.isDm && m.seq <= (c.lastSeq ?? 0)) {
      // Shown already by a history page (DMs come in seq order).
      c.pending.splice(0, c.pending.length, ...c.pending.filter((p) => p.cid !== m.cid));
      if (this.current === c.id) this.list.renderPending();
      return;
    }
    const item = c.add(m, sealed);
    this.typing.stopped(m.room, m.from.id);
    const shown = this.current === c.id;
    if (shown) {
      this.list.append(item);
      if (hadPending) this.list.renderPending();
      this.renderTyping();
    }
    // Replays on join are already counted in the summary's unread: count only what is newer.
    if (m.from.id !== this.me.id && !(shown && this.visible()) && m.seq > c.summary.head) {
      c.unread++;
    }
    this.notifier.incoming(
      m,
      { id: c.id, isDm: c.isDm, label: c.label, head: c.summary.head },
      this.me,
    );
    c.summary.head = Math.max(c.summary.head, m.seq);
    if (shown) this.markRead();
    this.renderSidebar();
  }

  private refused(room: number, cid: string, err: RequestError): void {
    const c = this.conversations.get(room);
    const p = c?.pending.find((x) => x.cid === cid);
    if (!c || !p) return;
    if (err.code === "HELD") p.held = true;
    else {
      p.state = "failed";
      p.error = err.message;
    }
    if (this.current === room) this.list.renderPending();
  }

  /** What is on screen counts as read, on the server too. */
  private markRead(): void {
    const c = this.currentConversation();
    if (!c || !this.visible()) return;
    const last = c.lastSeq;
    if (last !== undefined) this.reads.shown(c.id, last);
    if (c.unread !== 0) {
      c.unread = 0;
      this.renderSidebar();
    }
  }

  private visible(): boolean {
    return document.visibilityState === "visible";
  }

  // ---- People ----

  private typingNotice(room: number, user: UserRef): void {
    if (user.id === this.me.id) return;
    this.typing.typing(room, user, Date.now());
    if (room === this.current) this.renderTyping();
  }

  private renderTyping(): void {
    clearTimeout(this.typingTimer);
    const now = Date.now();
    const names = this.current === undefined ? [] : this.typing.who(this.current, now);
    this.typingLine.textContent = typingText(names);
    const next = this.typing.nextExpiry();
    if (next !== undefined) {
      this.typingTimer = setTimeout(() => this.renderTyping(), Math.max(50, next - now));
    }
  }

  private joinLeave(room: number, user: UserRef, event: "joined" | "left"): void {
    const c = this.conversations.get(room);
    if (!c || user.id === this.me.id) return;
    if (event === "left") this.typing.stopped(room, user.id);
    c.summary.members = Math.max(0, c.summary.members + (event === "joined" ? 1 : -1));
    const item = c.notice(
      Date.now(),
      `${user.name} ${event === "joined" ? "joined" : "left"} ${c.label}`,
    );
    if (this.current === room) {
      this.list.append(item);
      this.renderHeader(c);
    }
  }

  private presence(user: UserRef, status: "online" | "away" | "offline"): void {
    let changed = false;
    for (const c of this.conversations.values()) {
      if (c.summary.peer?.id === user.id && c.summary.peer.status !== status) {
        c.summary.peer = { ...c.summary.peer, status };
        changed = true;
      }
    }
    if (!changed) return;
    this.renderSidebar();
    const c = this.currentConversation();
    if (c?.summary.peer?.id === user.id) this.renderHeader(c);
  }

  // ---- Private messages ----

  private isDmRoom(room: number): boolean {
    const c = this.conversations.get(room);
    if (c) return c.isDm;
    return this.conn.joinedRooms().find((r) => r.id === room)?.kind === "dm";
  }

  /** Sets up this browser's keys once the conversations are attached; says if DMs are off. */
  private async startDms(): Promise<void> {
    const off = await this.dms.start();
    const c = this.currentConversation();
    if (off && c?.isDm) {
      this.composer.target(c.label, off);
      this.composer.allowFiles(false, off);
    }
  }

  /** The safety-number button and the key-change alert of the DM on screen (hidden elsewhere). */
  private renderDmChrome(c: Conversation): void {
    this.safetyButton.hidden = !c.isDm;
    this.safetyButton.setAttribute("aria-label", `Safety number with ${c.summary.name}`);
    this.keyAlert.show(c.isDm ? this.dms.changedFor(c.summary.name) : undefined, c.summary.name);
  }

  /** Announced in every DM it concerns: loudly when it waits for the user's acceptance. */
  private keysChanged(k: KeyChange): void {
    const loud = keyChangeIsLoud(k);
    const text = keyChangeSummary(k);
    for (const c of this.conversations.values()) {
      if (!c.isDm || (!k.self && c.summary.peer?.id !== k.user.id)) continue;
      const item = c.notice(Date.now(), text, loud);
      if (this.current === c.id) {
        this.list.append(item);
        this.renderDmChrome(c);
      }
    }
  }

  /** The confirm step for a key change: accepting sends what waited for it. */
  private async acceptKeys(): Promise<void> {
    const c = this.currentConversation();
    const change = c?.isDm ? this.dms.changedFor(c.summary.name) : undefined;
    if (!c || !change) return;
    const result = await this.dms.trust(change === "self" ? this.me.name : c.summary.name);
    if (result === "stale") {
      this.dmProblem("The keys changed again meanwhile: look at them once more.");
    }
    this.afterTrust();
  }

  /** Messages held for keys that are accepted now go again: shown as sending. */
  private afterTrust(): void {
    for (const c of this.conversations.values()) {
      if (!c.isDm || this.dms.changedFor(c.summary.name)) continue;
      for (const p of c.pending) p.held = false;
    }
    const c = this.currentConversation();
    if (c) this.renderDmChrome(c);
    this.list.renderPending();
  }

  private dmProblem(text: string): void {
    const c = this.currentConversation();
    if (!c) return;
    const item = c.notice(Date.now(), text, true);
    this.list.append(item);
  }

  // ---- Chrome ----

  private status(s: Status): void {
    this.banner.update(s);
    this.root.dataset.connection = s.kind;
    if (s.kind === "stopped" && s.reason === "session-ended") this.o.ended(s.message);
  }

  private renderSidebar(): void {
    this.sidebar.render(this.conversations.values(), this.current);
    let unread = 0;
    for (const c of this.conversations.values()) unread += c.unread;
    document.title = unread > 0 ? `(${unread > 999 ? "999+" : unread}) Parley` : "Parley";
  }

  private toggleSidebar(open = this.root.dataset.sidebar !== "open"): void {
    this.root.dataset.sidebar = open ? "open" : "closed";
    this.menu.setAttribute("aria-expanded", String(open));
    this.menu.setAttribute("aria-label", open ? "Hide conversations" : "Show conversations");
    if (open) this.root.querySelector<HTMLButtonElement>(".sidebar .conversation")?.focus();
  }
}

function initial(name: string): string {
  return (
    name.codePointAt(0) ? String.fromCodePoint(name.codePointAt(0) as number) : "?"
  ).toUpperCase();
}
