/**
 * This account's device list, kept by the devices that hold the account identity key: the first
 * device of an account makes the key and signs a list of itself; a linked device signs a new
 * version to approve a device (after the person compared its link code) or to remove one; a
 * device that lost the key may reset the account to a new one, which every peer announces.
 * A device without the key is "unlinked": it publishes its bundle, and waits to be approved.
 */
import {
  accountKeyId,
  createAccountKey,
  deviceListWire,
  exportIdentity,
  type Identity,
  type KeyBook,
  linkCode,
  listHolds,
  signDeviceList,
  type VerifiedBundle,
  verifyDeviceList,
  withAccountKey,
} from "../crypto/index.ts";
import type { UserRef } from "../protocol/index.ts";
import { type Connection, RequestError } from "./connection.ts";
import { type IdentityStore, identityLocked, storedIdentity } from "./device-identity.ts";
import type { KeyDirectory } from "./key-directory.ts";
import type { SecureDmKeys } from "./secure-dm-keys.ts";

export type LinkState = "linked" | "unlinked";

export type ApproveResult = "approved" | "no-such-device" | "no-account-key" | "code-mismatch";

export class AccountDevices {
  constructor(
    private readonly o: {
      conn: Connection;
      me: UserRef;
      book: KeyBook;
      directory: KeyDirectory;
      identities: IdentityStore;
      getIdentity(): Identity;
      setIdentity(identity: Identity): void;
    },
  ) {}

  /** Linked: this device is in the account's accepted signed list. */
  get state(): LinkState {
    const mine = this.o.directory.accepted(this.o.me.id);
    return listHolds({ devices: mine }, this.o.getIdentity().bundle) ? "linked" : "unlinked";
  }

  /** This device's keys and what it believes of others', for groups (secure-group.ts). */
  get keys(): SecureDmKeys {
    const { me, book, directory } = this.o;
    return { identity: this.o.getIdentity(), me, book, directory };
  }

  /** Whether this device holds the account key, so it can approve and remove devices. */
  get holdsAccountKey(): boolean {
    return this.o.getIdentity().account !== undefined;
  }

  /** This device's id, and the devices of this account that its signed list accepts. */
  async listed(): Promise<{ me: string; devices: string[] }> {
    await this.o.directory.refresh([this.o.me.id]);
    const devices = this.o.directory.accepted(this.o.me.id).map((b) => b.device);
    return { me: this.o.getIdentity().device, devices };
  }

  /** The code this device shows, to compare with the one its approving device shows. */
  myLinkCode(): Promise<string> {
    return linkCode(this.o.getIdentity().bundle);
  }

  /**
   * On start: the first device of an account makes the account key and signs a list of itself;
   * a device holding the key makes sure the published list holds it. A device without the key
   * changes nothing (it is linked by another device, or by resetAccount()).
   */
  ensure(): Promise<void> {
    // Under the tabs' lock, on the identity as stored: a tab that started with it before another
    // tab made the account key takes that key rather than making a second one (or dropping it).
    return this.locked(() => this.ensureLocked());
  }

  private async ensureLocked(): Promise<void> {
    const identity = this.o.getIdentity();
    const published = await this.published();
    if (!published && !identity.account) {
      const account = await createAccountKey(this.o.identities.keeps !== "keys");
      await this.save(withAccountKey(identity, account));
    }
    const holder = this.o.getIdentity();
    if (!holder.account) return;
    const key = await accountKeyId(holder.account);
    if (published && published.key !== key) return; // another key signs this account now
    if (published && listHolds(published, holder.bundle)) return;
    const known = this.o.book.identity(String(this.o.me.id));
    const base = Math.max(published?.version ?? 0, known?.key === key ? known.version : 0);
    try {
      await this.sign([...(published?.devices ?? []), holder.bundle], base);
    } catch (err) {
      // Another device of the account signed first: this one is not linked, and says so.
      if (!(err instanceof RequestError) || err.code !== "ACCOUNT_KEY_CHANGED") throw err;
      await this.save(withAccountKey(holder, undefined));
    }
  }

  /** Takes the account key (restored from the key backup) and signs this device into the list. */
  async adopt(account: CryptoKeyPair): Promise<void> {
    await this.locked(async () => {
      await this.save(withAccountKey(this.o.getIdentity(), account));
      await this.ensureLocked();
    });
    await this.o.directory.refresh([this.o.me.id]);
  }

  /** Devices of this account the server lists that the signed list does not hold, with codes. */
  async pending(): Promise<{ device: string; code: string }[]> {
    await this.o.directory.refresh([this.o.me.id]);
    const mine = this.o.getIdentity().device;
    return Promise.all(
      this.o.directory
        .unverified(this.o.me.id)
        .filter((b) => b.device !== mine)
        .map(async (b) => ({ device: b.device, code: await linkCode(b) })),
    );
  }

  /**
   * Signs a new list version that adds a device the server lists for this account. `code` is
   * what the person read on the new device: it must equal the device's link code, so a device
   * the server slipped in is never approved by mistake.
   */
  async approve(device: string, code: string): Promise<ApproveResult> {
    if (!this.holdsAccountKey || this.state !== "linked") return "no-account-key";
    await this.o.directory.refresh([this.o.me.id]);
    const bundle = this.o.directory.unverified(this.o.me.id).find((b) => b.device === device);
    if (!bundle) return "no-such-device";
    if (digits(await linkCode(bundle)) !== digits(code)) return "code-mismatch";
    await this.resign((devices) => [...devices, bundle]);
    return "approved";
  }

  /** Signs a new list version without `device` (a lost or sold device stops being accepted). */
  async remove(device: string): Promise<"removed" | "no-such-device" | "no-account-key"> {
    if (!this.holdsAccountKey || this.state !== "linked") return "no-account-key";
    if (device === this.o.getIdentity().device) return "no-such-device";
    const mine = this.o.directory.accepted(this.o.me.id);
    if (!mine.some((b) => b.device === device)) return "no-such-device";
    await this.resign((devices) => devices.filter((b) => b.device !== device));
    return "removed";
  }

  /**
   * Replaces the account key by a new one held by this device, with a list of this device only:
   * for an account whose key is lost. Every peer's client announces the new key loudly and waits
   * for its person to accept it, so a reset cannot pass unnoticed.
   */
  async resetAccount(): Promise<void> {
    const account = await createAccountKey(this.o.identities.keeps !== "keys");
    await this.locked(async () => {
      await this.save(withAccountKey(this.o.getIdentity(), account));
      await this.sign([this.o.getIdentity().bundle], 0, true);
    });
    // One's own book pinned the old key: this device chose the new one, so accept it at once.
    await this.o.directory.refresh([this.o.me.id]);
    await this.o.book.acknowledge(String(this.o.me.id), await accountKeyId(account));
  }

  private async resign(change: (devices: VerifiedBundle[]) => VerifiedBundle[]): Promise<void> {
    const published = await this.published();
    const base = this.o.book.identity(String(this.o.me.id))?.version ?? 0;
    const devices = change(this.o.directory.accepted(this.o.me.id));
    await this.sign(devices, Math.max(base, published?.version ?? 0));
    await this.o.directory.refresh([this.o.me.id]);
  }

  private async sign(devices: VerifiedBundle[], after: number, reset = false): Promise<void> {
    const identity = this.o.getIdentity();
    if (!identity.account) throw new RequestError("UNLINKED", "This device is not linked.");
    const list = await signDeviceList({
      user: String(this.o.me.id),
      version: after + 1,
      account: identity.account,
      devices,
    });
    await this.o.conn.request<"ok">({
      type: "device_list",
      list: deviceListWire(list),
      ...(reset ? { reset: true } : {}),
    });
  }

  /** The account's list as the server has it now, checked; undefined if none or invalid. */
  private async published() {
    const reply = await this.o.conn.request<"devices">({ type: "devices", users: [this.o.me.id] });
    const list = reply.users[0]?.list;
    if (!list) return undefined;
    const check = await verifyDeviceList(list, { user: String(this.o.me.id) });
    return check.ok ? check.list : undefined;
  }

  /**
   * Runs `step` under the identity store's lock after taking the identity as stored (another tab
   * of this browser may have changed its account key). `step` must not touch the key book: it
   * shares the lock, and a Web Lock is not re-entrant.
   */
  private locked<T>(step: () => Promise<T>): Promise<T> {
    return identityLocked(this.o.identities, async () => {
      if (this.o.identities.exclusive) {
        const stored = await storedIdentity(this.o.identities, this.o.me);
        const mine = this.o.getIdentity();
        if (stored.ok && stored.identity.device === mine.device)
          this.o.setIdentity(stored.identity);
      }
      return step();
    });
  }

  private async save(identity: Identity): Promise<void> {
    const keeps = this.o.identities.keeps ?? "file";
    await this.o.identities.save(keeps === "file" ? await exportIdentity(identity) : identity);
    this.o.setIdentity(identity);
  }
}

function digits(code: string): string {
  return code.replace(/\D/g, "");
}
