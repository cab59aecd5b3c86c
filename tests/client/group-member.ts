/** A group member's device for tests: a SecureDm device with SecureGroups, recording what it shows. */
import { afterEach } from "bun:test";
import {
  type GroupContent,
  type MembershipChange,
  SecureGroups,
} from "../../src/client-core/secure-group.ts";
import { type Account, register } from "../support/client.ts";
import { suiteDir, suiteServer, type TestServer } from "../support/server.ts";
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

/**
 * A new device of `account` (a new account when not given), its groups judged and attached; or,
 * given the `dir` of a closed one, that device started again.
 */
export async function groupMember(
  url: string,
  root: string,
  account?: Account,
  dir?: string,
): Promise<Member> {
  const acc = account ?? (await register(url));
  const device = await startDevice(url, acc, root, dir);
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

/** What a file of group tests shares (see groupSuite). */
export interface GroupSuite {
  /** The file's server, started before its first test. */
  readonly server: TestServer;
  /** A new member (a new account when not given; see groupMember), closed after the test. */
  member(account?: Account, dir?: string): Promise<Member>;
  /** Closes these too after the test, in order, after the members made before them. */
  track(...closing: { close(): void }[]): void;
}

/**
 * The set-up every file of group tests shares, registered where it is called: one server for
 * the file (rate limits lifted) and a temporary root for the devices, removed after it; the
 * members and whatever else a test tracks, closed after that test. `name` names the folder.
 */
export function groupSuite(name: string): GroupSuite {
  const dirs = suiteDir(`parley-${name}-`);
  const running: { close(): void }[] = [];
  afterEach(() => {
    for (const r of running.splice(0)) r.close();
  });
  const suite: GroupSuite = {
    server: suiteServer(),
    async member(account, dir) {
      const m = await groupMember(suite.server.url, dirs.path, account, dir);
      running.push(m);
      return m;
    },
    track(...closing) {
      running.push(...closing);
    },
  };
  return suite;
}
