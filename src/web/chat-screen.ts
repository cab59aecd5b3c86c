/**
 * The browser's chat: wires the headless chat session every Parley client shares
 * (src/client-core/chat-session.ts over connection.ts, so reconnecting, resuming by seq, gap
 * filling, the outbox, unread counts and typing behave exactly as in the terminal client) to
 * the views that show it (chat-layout.ts, sidebar, message list, composer, dialogs).
 */

import { ChatSession } from "../client-core/chat-session.ts";
import { Connection, type Status } from "../client-core/connection.ts";
import { FileTransfer } from "../client-core/file-transfer.ts";
import { searcher } from "../client-core/message-search.ts";
import type { RoomSummary, UserRef } from "../protocol/index.ts";
import { accountButtons } from "./account-buttons.ts";
import { AdminPage } from "./admin-page.ts";
import { Announcer } from "./announcer.ts";
import { ChatLayout } from "./chat-layout.ts";
import { Composer } from "./composer.ts";
import { ConnectionBanner } from "./connection-banner.ts";
import { Conversation } from "./conversation.ts";
import type { Conversations } from "./conversations.ts";
import { DmDialog } from "./dm-dialog.ts";
import { DmTrust } from "./dm-trust.ts";
import { Drafts } from "./drafts.ts";
import { fileDropTarget } from "./file-drop.ts";
import { FileViews } from "./file-view.ts";
import { GroupDialog } from "./group-dialog.ts";
import { HISTORY_PAGE, loadOlderPage } from "./history-page.ts";
import { Incoming } from "./incoming.ts";
import { InvitationsPanel } from "./invitations-panel.ts";
import { memberPanel } from "./member-panel-hooks.ts";
import { MessageActionsView } from "./message-actions.ts";
import { MessageList } from "./message-list.ts";
import { Notifier } from "./notifications.ts";
import { NotifyLevels } from "./notify-levels.ts";
import { NotifyMenu } from "./notify-menu.ts";
import { Outgoing } from "./outgoing.ts";
import { PrivateMessages } from "./private-messages.ts";
import { ReportDialog } from "./report-dialog.ts";
import { RoomActivity } from "./room-activity.ts";
import { RoomDialog } from "./room-dialog.ts";
import { RoomSwitcher } from "./room-switcher.ts";
import { chatShortcuts } from "./shortcuts.ts";
import { Sidebar } from "./sidebar.ts";
import { type Theme, themeToggle } from "./theme.ts";
import { TypingLine } from "./typing-line.ts";

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
  /** Conversations, counts, typing and read markers, shared with the terminal's logic. */
  private readonly session: ChatSession<Conversation>;
  private readonly conversations: Conversations;
  private readonly layout: ChatLayout;
  private readonly sidebar: Sidebar;
  private readonly list: MessageList;
  private readonly composer: Composer;
  private readonly banner = new ConnectionBanner();
  private readonly announcer = new Announcer();
  private readonly dialog: RoomDialog;
  private readonly typing: TypingLine;
  private readonly me: UserRef;
  /** End-to-end encrypted DMs (SecureDm, keys in IndexedDB) and their dialogs. */
  private readonly dms: PrivateMessages;
  private readonly dmDialog: DmDialog;
  private readonly trust: DmTrust;
  private readonly transfer: FileTransfer;
  private readonly files: FileViews;
  private readonly notifier: Notifier;
  private readonly outgoing: Outgoing;
  private readonly incoming: Incoming;
  private readonly levels: NotifyLevels;
  private readonly notifyMenu: NotifyMenu;
  private readonly switcher: RoomSwitcher;
  private readonly drafts: Drafts;
  private readonly stopShortcuts: () => void;
  /** Reply, react, edit, delete, jump and search (message-actions.ts). */
  private readonly actions: MessageActionsView;

  constructor(private readonly o: ChatScreenOptions) {
    this.me = o.user;
    this.drafts = new Drafts(this.me.id);
    this.levels = new NotifyLevels(this.me.id);
    this.notifyMenu = new NotifyMenu(this.levels);
    this.levels.onChange(() => this.renderSidebar());
    this.conn = new Connection({ server: o.server, token: o.token });
    this.session = new ChatSession({ conn: this.conn, make: (s) => new Conversation(s) });
    this.conversations = this.session.conversations;
    this.dms = new PrivateMessages(this.conn, this.me, {
      message: (m, sealed) => this.incoming.received(m, sealed),
      keys: (k) => this.trust.keysChanged(k),
      problem: (text) => this.onShown((c) => this.list.append(c.notice(Date.now(), text, true))),
      trustChanged: () => this.trust.afterTrust(),
      membership: (r, text, alert) => activity.whenListed(r, () => this.notice(text, alert, r)),
    });
    const group = new GroupDialog(this.dms, this.conversations, (r) => this.attach(r));
    this.trust = new DmTrust(this.dms, this.conversations, this.me, {
      notice: (c, item) => this.conversations.current === c.id && this.list.append(item),
      pendingChanged: () => this.list.renderPending(),
      headerChanged: () => this.renderHeader(),
    });
    this.transfer = new FileTransfer({ server: () => this.conn.server, token: o.token });
    this.outgoing = new Outgoing(
      {
        me: this.me.id,
        conn: this.conn,
        dms: this.dms,
        transfer: this.transfer,
        conversations: this.conversations,
      },
      {
        changed: (room) => this.conversations.current === room && this.list.renderPending(),
        sent: (room) => {
          this.session.sent(room);
          if (this.conversations.current === room) this.list.scrollToBottom();
        },
        maxUploadBytes: () => this.conn.limits?.maxUploadBytes,
      },
    );
    this.files = new FileViews(this.transfer);
    this.notifier = new Notifier({ open: (room) => this.select(room) });
    this.typing = new TypingLine(this.session);
    const reports = new ReportDialog(() => this.conn.server, o.token, this.conversations);
    this.actions = new MessageActionsView({
      reports,
      conn: this.conn,
      conversations: this.conversations,
      list: () => this.list,
      search: searcher({ server: () => this.conn.server, token: o.token }),
      me: () => this.me.id,
      select: (room) => this.select(room),
      problem: (text) => this.announcer.message("Parley", text),
      focusComposer: () => this.composer.focus(),
      dms: this.dms,
      countsChanged: () => this.renderSidebar(),
    });
    this.list = new MessageList({
      me: this.me,
      actions: this.actions,
      loadOlder: () => void this.loadOlder(),
      fileView: (f) => this.files.render(f),
      retry: (p) => this.onShown((c) => this.outgoing.retry(c, p)),
      dismiss: (p) => this.onShown((c) => this.outgoing.dismiss(c, p)),
    });
    this.incoming = new Incoming({
      me: this.me,
      dms: this.dms,
      session: this.session,
      list: this.list,
      typing: this.typing,
      notifier: this.notifier,
      levels: this.levels,
      announcer: this.announcer,
      countsChanged: () => this.renderSidebar(),
    });
    this.composer = new Composer({
      send: (text) =>
        this.onShown((c) => this.outgoing.text(c, text, this.actions.takeReply(c.id))),
      maxChars: () => this.conn.limits?.maxMessageChars,
      names: () => this.actions.names(),
      edited: (text) => this.onShown((c) => this.drafts.set(c.id, text)),
      files: (files) => this.onShown((c) => this.outgoing.files(c, files)),
      typing: () => {
        const c = this.conversations.shown;
        if (c && !c.isDm) this.session.keystroke(c.id);
      },
    });
    this.dialog = new RoomDialog({
      list: (q) => this.conn.request<"rooms">({ type: "rooms", ...q }),
      join: (name) => this.attach(() => this.conn.join(name)),
      create: (name, visibility) => this.attach(() => this.conn.create(name, visibility)),
    });
    const members = memberPanel(this.conn, this.conversations, this.me.id, {
      redraw: () => this.renderSidebar(),
      select: (id) => this.select(id),
      reports: (room) => void reports.open(room),
    });
    const admin = new AdminPage(o.server, o.token);
    const invites = new InvitationsPanel(this.conn, (r) =>
      this.attach(() => this.conn.join(r.name)),
    );
    this.dmDialog = new DmDialog({ open: (name) => this.attach(() => this.dms.open(name)) });
    this.switcher = new RoomSwitcher({
      conversations: () => this.conversations.values(),
      select: (id) => this.select(id),
    });
    this.stopShortcuts = chatShortcuts(document, {
      switcher: () => this.switcher.open(),
      step: (by) => {
        const next = this.conversations.neighbour(by);
        if (next) this.select(next.id);
      },
    });
    this.layout = new ChatLayout({
      me: this.me,
      settings: [
        this.notifier.toggle,
        themeToggle(o.theme),
        admin.button,
        invites.button,
        group.newButton,
        ...accountButtons({ ...o, dms: this.dms, reopenDms: () => this.reopenDms() }),
      ],
      headerEnd: [
        this.actions.searchForm,
        members.button,
        this.notifyMenu.button,
        this.trust.button,
        group.manageButton,
      ],
      main: [
        this.banner.root,
        this.list.root,
        this.typing.root,
        this.announcer.root,
        this.trust.alert.root,
        this.actions.results,
        this.actions.replyBar,
        this.composer.root,
      ],
      dialogs: [
        this.dialog.root,
        this.dmDialog.root,
        this.trust.dialog.root,
        this.files.viewer.root,
        this.switcher.root,
        this.notifyMenu.root,
        members.root,
        admin.root,
        invites.root,
        reports.root,
      ],
      start: () => void this.dialog.open(),
    });
    this.root = this.layout.root;
    this.sidebar = new Sidebar(this.layout.nav, {
      select: (id) => this.select(id),
      addRoom: () => void this.dialog.open(),
      newDm: () => this.dmDialog.open(),
    });
    fileDropTarget(this.layout.main, {
      accepts: () => this.outgoing.takes(this.conversations.shown),
      dropped: (files) => this.onShown((c) => this.outgoing.files(c, files)),
    });

    this.conn.on("status", (s) => this.status(s));
    this.conn.on("event", (e) => this.actions.applied(e));
    const activity = new RoomActivity(
      { me: this.me, session: this.session, typing: this.typing },
      {
        track: (summary) => this.track(summary),
        append: (item) => this.list.append(item),
        changed: () => {
          this.renderSidebar();
          this.renderHeader();
        },
        roomListed: () => void this.dialog.refresh(),
      },
    );
    document.addEventListener("visibilitychange", () => this.incoming.markRead());
    this.renderSidebar();
    this.conn.start();
    void this.load().then(() => this.startDms());
  }

  /** Ends the session's socket for good (logging out, or back to the login screen). */
  close(): void {
    this.stopShortcuts();
    this.announcer.close();
    this.dms.close();
    this.conn.close();
    this.session.close();
    this.files.close();
    this.notifier.close();
    this.typing.close();
  }

  /** Lists and attaches all joined rooms with one `resume`: two requests, however many rooms. */
  private async load(): Promise<void> {
    let opened: RoomSummary | undefined;
    await this.session.load(HISTORY_PAGE, (rooms) => {
      this.renderSidebar();
      const first = rooms.find((r) => r.kind === "room") ?? rooms[0];
      opened = first && this.conversations.current === undefined ? first : undefined;
      if (opened) this.select(opened.id);
    });
    // The room the app opened on was empty until now: show where its unread messages start.
    const c = this.conversations.shown;
    if (opened && c?.id === opened.id && opened.unread > 0 && c.dividerSeq === undefined) {
      c.markUnread(this.me.id, opened.unread);
      if (c.dividerSeq !== undefined) this.list.show(c, { toDivider: true });
    }
  }

  private track(summary: RoomSummary): Conversation {
    const c = this.conversations.track(summary);
    this.renderSidebar();
    return c;
  }

  /** Joins or creates a room and switches to it; a refusal comes back as text. */
  private async attach(run: () => Promise<RoomSummary>): Promise<string | undefined> {
    try {
      this.select((await this.session.attach(run)).id);
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  private select(id: number): void {
    const c = this.conversations.get(id);
    if (!c) return;
    const left = this.conversations.shown;
    if (left && left !== c) this.actions.windows.leave(left);
    if (left !== c) c.markUnread(this.me.id);
    this.conversations.current = id;
    this.layout.showConversation();
    this.renderHeader();
    this.actions.windows.show(c, left === c ? this.list.position() : c.scroll);
    if (c.isDm && c.firstSeq === undefined && c.summary.head > 0) void this.loadOlder();
    this.composer.target(c.label, c.isDm ? this.dms.off : c.readOnly);
    if (left !== c) this.composer.text = this.drafts.get(c.id);
    this.composer.allowFiles(this.outgoing.takes(c), this.dms.off);
    this.typing.render(id);
    this.layout.toggleSidebar(false);
    this.incoming.markRead();
    this.renderSidebar();
    this.composer.focus();
  }

  private renderHeader(): void {
    const c = this.conversations.shown;
    if (!c) return;
    this.trust.render(c);
    if (c.readOnly) this.composer.target(c.label, c.readOnly);
    this.notifyMenu.render(c);
    this.layout.header(c, this.trust.verified(c));
  }

  private async loadOlder(): Promise<void> {
    const c = this.conversations.shown;
    if (!c) return;
    const busy = () => this.list.syncOlder();
    await loadOlderPage(c, { conn: this.conn, dms: this.dms, busy });
    if (this.list.shows(c)) this.list.show(c, { keepOffset: true });
  }

  /** Runs `act` on the conversation on screen, if there is one. */
  private onShown(act: (c: Conversation) => void): void {
    if (this.conversations.shown) act(this.conversations.shown);
  }

  /** Sets up this browser's keys once the conversations are attached; says if DMs are off. */
  private async startDms(): Promise<void> {
    const off = await this.dms.start();
    const c = this.conversations.shown;
    if (off && c?.isDm) {
      this.composer.target(c.label, off);
      this.composer.allowFiles(false, off);
    }
    // The key book is read now: the DM on screen may have keys waiting to be accepted.
    this.renderHeader();
    if (!off) this.outgoing.restoreHeld();
  }

  /** After a key backup restore: DMs are loaded afresh, so earlier messages open now. */
  private reopenDms(): void {
    for (const c of this.conversations.values()) if (c.isDm) c.items.length = 0;
    const c = this.conversations.shown;
    if (c?.isDm) this.select(c.id);
  }

  /** A notice in room `room` (or the one on screen), shown at once if that room is on screen. */
  private notice(text: string, alert = true, room?: number): void {
    const c = room === undefined ? this.conversations.shown : this.conversations.get(room);
    const item = c?.notice(Date.now(), text, alert);
    if (c && item && this.conversations.current === c.id) this.list.append(item);
  }

  private status(s: Status): void {
    this.banner.update(s);
    this.root.dataset.connection = s.kind;
    if (s.kind === "stopped" && s.reason === "session-ended") this.o.ended(s.message);
  }

  private renderSidebar(): void {
    const muted = (c: Conversation) => this.levels.of(c.id, c.isDm) === "muted";
    this.sidebar.render(this.conversations.values(), this.conversations.current, muted);
  }
}
