/**
 * What this device believes about people's devices, for SecureDm: fetches users' bundles and
 * signed device lists from the server, checks them, records the lists in the key book (which
 * pins each account's identity key and catches a list rolled back or forked), and keeps in
 * memory the devices the server lists but no accepted list holds: messages from those are
 * opened only to be shown as "from an unverified device", never as the person's words.
 */
import {
  type KeyBook,
  listHolds,
  type Observation,
  type VerifiedBundle,
  verifyBundle,
  verifyDeviceList,
} from "../crypto/index.ts";
import type { UserRef } from "../protocol/index.ts";
import type { Connection } from "./connection.ts";

export interface KeyChange {
  user: UserRef;
  /** The user is the one of this session (another device of one's own). */
  self: boolean;
  observation: Observation;
  /** For "unlisted-device": the device the server lists outside the signed list. */
  device?: string;
}

export interface DirectoryEvents {
  keys(change: KeyChange): void;
  problem(text: string): void;
}

export class KeyDirectory {
  /** Devices the server lists that no accepted list holds, per user id (verified bundles). */
  private readonly unlisted = new Map<string, VerifiedBundle[]>();
  /** Unlisted devices already announced, so each is announced once per session. */
  private readonly announced = new Set<string>();
  /**
   * The last change announced per user id, as its kind and the signed list behind it. Two
   * refreshes racing (a devices_changed push and a send's key check) observe one change twice:
   * an identity change stays unaccepted, so the key book reports it again until the user acts.
   */
  private readonly lastChange = new Map<string, string>();

  constructor(
    private readonly conn: Connection,
    private readonly book: KeyBook,
    private readonly me: UserRef,
    /** This device: never announced to itself. */
    private readonly myDevice: string,
    private readonly events: DirectoryEvents,
  ) {}

  /** Devices whose words are a user's own: in the list signed by the identity key trusted. */
  accepted(user: number | string): VerifiedBundle[] {
    return this.book.devices(String(user));
  }

  /** Devices the server lists for a user outside the accepted list (as last fetched). */
  unverified(user: number | string): VerifiedBundle[] {
    return this.unlisted.get(String(user)) ?? [];
  }

  /** Fetches, verifies and records the devices of some users; announces what changed. */
  async refresh(users: number[]): Promise<void> {
    const reply = await this.conn.request<"devices">({ type: "devices", users });
    for (const entry of reply.users) {
      const id = String(entry.user.id);
      const self = entry.user.id === this.me.id;
      let list: Parameters<KeyBook["observe"]>[1];
      if (entry.list) {
        const check = await verifyDeviceList(entry.list, { user: id });
        if (check.ok) list = check.list;
        else {
          this.events.problem(
            `Ignored a device list of ${entry.user.name} that is not validly signed (${check.reason}).`,
          );
        }
      }
      const observation = await this.book.observe(id, list);
      if (observation.kind !== "unchanged" && observation.kind !== "no-list") {
        const mark = `${observation.kind}:${JSON.stringify(entry.list ?? null)}`;
        if (observation.kind !== "first-seen" && this.lastChange.get(id) !== mark) {
          this.lastChange.set(id, mark);
          this.events.keys({ user: entry.user, self, observation });
        }
      }
      const accepted = this.book.devices(id);
      const outside: VerifiedBundle[] = [];
      for (const b of entry.devices) {
        if (listHolds({ devices: accepted }, b)) continue;
        const check = await verifyBundle(b, { user: id });
        if (!check.ok) {
          this.events.problem(
            `Ignored a device of ${entry.user.name} whose keys are not validly signed (${check.reason}).`,
          );
          continue;
        }
        outside.push(check.bundle);
        const mark = `${id}/${b.device}/${b.ed25519}`;
        if (this.announced.has(mark) || (self && b.device === this.myDevice)) continue;
        this.announced.add(mark);
        this.events.keys({
          user: entry.user,
          self,
          device: b.device,
          observation: {
            kind: "unlisted-device",
            changes: [{ kind: "device-added", device: b.device }],
            trust: this.book.trust(id),
          },
        });
      }
      this.unlisted.set(id, outside);
    }
  }
}
