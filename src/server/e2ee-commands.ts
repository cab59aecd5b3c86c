/**
 * The WebSocket commands of end-to-end encryption, merged into connection.ts's command table:
 * device keys and signed device lists (devices.ts), the key backup (key-backups.ts) and
 * encrypted groups (groups.ts: create one, store its next signed membership version, read its
 * chain). None of them gives the server a key that opens anything (docs/e2ee.md).
 */
import type { Store } from "../../db/store.ts";
import {
  type ClientFrameOf,
  encodeFrame,
  type ServerFrame,
  type UserRef,
} from "../protocol/index.ts";
import type { Chat } from "./chat.ts";
import type { Devices } from "./devices.ts";
import type { Groups } from "./groups.ts";
import type { Socket } from "./hub.ts";
import { KeyBackups } from "./key-backups.ts";
import { attach, type Replay } from "./replay.ts";

export interface E2eeDeps {
  store: Store;
  chat: Chat;
  devices: Devices;
  groups: Groups;
  replay: Replay;
  now: () => number;
}

type E2eeFrame =
  | "device"
  | "device_list"
  | "devices"
  | "backup_create"
  | "backup_add"
  | "backup_get"
  | "group_create"
  | "group_membership"
  | "group_state"
  | "group_lookup";

type Handlers = { [T in E2eeFrame]: (ws: Socket, frame: ClientFrameOf<T>) => Promise<void> };

/** What these frames cost of the connection's rate bucket (see FRAME_COST); a group as `create`. */
export const E2EE_FRAME_COST: Partial<Record<E2eeFrame, number>> = {
  device: 5,
  devices: 2,
  group_create: 10,
  group_membership: 3,
  group_state: 3,
  group_lookup: 2,
};

function send(ws: Socket, frame: ServerFrame): void {
  ws.send(encodeFrame(frame));
}

export function e2eeCommands(d: E2eeDeps): Handlers {
  const user = (ws: Socket) => ws.data.session.user;
  const backups = new KeyBackups(d.store, d.now);
  /** Peers must learn at once that there is a device to seal for, or a key that changed. */
  const tellPeers = async (who: UserRef) => {
    for (const dm of await d.store.listDms(who.id)) {
      d.chat.publishEphemeral(dm.id, { type: "devices_changed", room: dm.id, user: who });
    }
  };
  return {
    async device(ws, f) {
      await d.devices.publish(ws.data.user, f.bundle);
      send(ws, { type: "ok", ref: f.id });
      await tellPeers(ws.data.user);
    },
    async device_list(ws, f) {
      await d.devices.publishList(ws.data.user, f.list, f.reset ?? false);
      send(ws, { type: "ok", ref: f.id });
      await tellPeers(ws.data.user);
    },
    async backup_create(ws, f) {
      await backups.create(ws.data.user, f.info);
      send(ws, { type: "ok", ref: f.id });
    },
    async backup_add(ws, f) {
      await backups.add(ws.data.user, f.item);
      send(ws, { type: "ok", ref: f.id });
    },
    async backup_get(ws, f) {
      send(ws, { type: "backup", ref: f.id, ...(await backups.page(ws.data.user, f.after ?? 0)) });
    },
    async devices(ws, f) {
      send(ws, { type: "devices", ref: f.id, users: await d.devices.list(f.users) });
    },
    async group_create(ws, f) {
      const room = await d.groups.create(user(ws), f.name);
      await attach(d.replay, ws, room.id, { recent: 0 });
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
