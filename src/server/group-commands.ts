/**
 * The WebSocket commands of encrypted groups (groups.ts), merged into connection.ts's command
 * table: create one, store its next signed membership version, read its chain.
 */
import type { Store } from "../../db/store.ts";
import type { Logger } from "../log/log.ts";
import { type ClientFrameOf, encodeFrame, type ServerFrame } from "../protocol/index.ts";
import type { Groups } from "./groups.ts";
import type { Hub, Socket } from "./hub.ts";
import { attach, type ReplayLimits } from "./replay.ts";

export interface GroupDeps {
  store: Store;
  hub: Hub;
  log: Logger;
  groups: Groups;
  replay: ReplayLimits;
}

type GroupFrame = "group_create" | "group_membership" | "group_state" | "group_lookup";

type Handlers = { [T in GroupFrame]: (ws: Socket, frame: ClientFrameOf<T>) => Promise<void> };

/** What these frames cost of the connection's rate bucket (see FRAME_COST): as `create`. */
export const GROUP_FRAME_COST: Record<GroupFrame, number> = {
  group_create: 10,
  group_membership: 5,
  group_state: 3,
  group_lookup: 5,
};

function send(ws: Socket, frame: ServerFrame): void {
  ws.send(encodeFrame(frame));
}

export function groupCommands(d: GroupDeps): Handlers {
  const user = (ws: Socket) => ws.data.session.user;
  return {
    async group_create(ws, f) {
      const room = await d.groups.create(user(ws), f.name);
      await attach(d.store, d.hub, d.log, ws, room.id, { recent: 0 }, d.replay);
      send(ws, { type: "created", ref: f.id, room });
    },
    async group_membership(ws, f) {
      await d.groups.membership(user(ws), f.room, f.membership);
      send(ws, { type: "ok", ref: f.id });
    },
    async group_lookup(ws, f) {
      const users = [];
      for (const name of new Set(f.names)) {
        const found = await d.store.findUser(name);
        if (found) users.push({ id: found.id, name: found.name });
      }
      send(ws, { type: "group_lookup", ref: f.id, users });
    },
    async group_state(ws, f) {
      const versions = await d.groups.state(user(ws), f.room);
      send(ws, { type: "group_state", ref: f.id, room: f.room, versions });
    },
  };
}
