/** A group member's device for tests: a SecureDm device with SecureGroups, recording what it shows. */
import {
  type GroupContent,
  type MembershipChange,
  SecureGroups,
} from "../../src/client-core/secure-group.ts";
import { type Account, register } from "../support/client.ts";
import { until } from "./gated-clock.ts";
import { type Device, startDevice } from "./secure-device.ts";

export interface Member {
  account: Account;
  device: Device;
  groups: SecureGroups;
  texts: string[];
  shown: GroupContent[];
  changes: MembershipChange[];
  close(): void;
}

/** A new device of `account` (a new account when not given), its groups judged and attached. */
export async function groupMember(url: string, root: string, account?: Account): Promise<Member> {
  const acc = account ?? (await register(url));
  const device = await startDevice(url, acc, root);
  const groups = new SecureGroups({ conn: device.conn, dm: device.dm });
  const m: Member = {
    account: acc,
    device,
    groups,
    texts: [],
    shown: [],
    changes: [],
    close: () => {
      groups.close();
      device.close();
    },
  };
  groups.on("message", (_msg, content) => {
    m.shown.push(content);
    if (content.kind === "text") m.texts.push(content.text);
  });
  groups.on("membership", (c) => m.changes.push(c));
  await groups.start({ list: true });
  return m;
}

export const nameOf = (m: Member) => m.account.user.name;

/** Waits until the member's client receives the group (the group_added push attaches it). */
export async function joinedGroup(m: Member, room: number): Promise<void> {
  await until(
    () => m.device.conn.joinedRooms().some((r) => r.id === room && r.kind === "group"),
    `${nameOf(m)} to receive the group`,
  );
}
