/** The member panel wired to a connection: what chat-screen.ts hands it, in one call. */
import type { Connection } from "../client-core/connection.ts";
import type { Conversations } from "./conversations.ts";
import { MemberPanel } from "./member-panel.ts";

export type { MemberPanel } from "./member-panel.ts";

export function memberPanel(
  conn: Connection,
  conversations: Conversations,
  me: number,
  view: { redraw(): void; select(room: number): void; reports?(room: number): void },
): MemberPanel {
  /** A room left: it goes from the list, and another is shown. */
  const left = (room: number) => {
    conversations.forget(room);
    view.redraw();
    const next = conversations.values().next().value;
    if (next) view.select(next.id);
  };
  return new MemberPanel({
    room: () => {
      const c = conversations.shown;
      return c && !c.isDm ? { id: c.id, name: c.summary.name } : undefined;
    },
    me: () => me,
    members: (room) => conn.members(room),
    moderate: async (room, action, user, seconds) => {
      await conn.request<"ok">({
        type: "moderate",
        room,
        action,
        user,
        ...(seconds !== undefined ? { seconds } : {}),
      });
    },
    invite: async (room) =>
      (await conn.request<"invite">({ type: "invite_create", room })).invite.code ?? "",
    rename: async (room, name) => {
      await conn.request<"ok">({ type: "rename_room", room, name });
      // This tab's own list shows the new name at once; others see the timeline's rename event.
      const c = conversations.get(room);
      if (c) c.summary = { ...c.summary, name };
      view.redraw();
    },
    archive: async (room) => {
      await conn.request<"ok">({ type: "archive_room", room });
    },
    leave: async (room) => {
      await conn.leave(room);
      left(room);
    },
    audit: async (room) => (await conn.request<"audit">({ type: "audit", room })).entries,
    ...(view.reports ? { reports: view.reports } : {}),
  });
}
