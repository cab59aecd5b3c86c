/**
 * The device key directory: each device publishes its signed public keys, each account its
 * device list signed by its account identity key, and anyone may fetch a user's devices to seal
 * a DM for them. The server checks signatures and that what is published names its publisher,
 * but clients trust devices only through the signed list and the identity key they pinned:
 * the server could still lie about which devices exist, and docs/e2ee.md says what that meets.
 */
import type { Store } from "../../db/store.ts";
import {
  type DeviceBundle,
  type DeviceList,
  deviceBundleSchema,
  deviceListSchema,
  verifyBundle,
  verifyDeviceList,
} from "../crypto/index.ts";
import { DEVICES_PER_USER_MAX, ParleyError, type UserRef } from "../protocol/index.ts";

/** How a Parley user id appears in bundles and envelopes. */
export function e2eeUserId(userId: number): string {
  return String(userId);
}

export class Devices {
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  async publish(user: UserRef, bundle: DeviceBundle): Promise<void> {
    const check = await verifyBundle(bundle, { user: e2eeUserId(user.id) });
    if (!check.ok) throw new ParleyError("BAD_BUNDLE");
    const stored = await this.store.putDevice(
      user.id,
      bundle.device,
      JSON.stringify(bundle),
      this.now(),
      DEVICES_PER_USER_MAX,
    );
    if (stored === "too-many") throw new ParleyError("TOO_MANY_DEVICES");
  }

  /** Stores the account's signed device list; only a newer version, or any with `reset`. */
  async publishList(user: UserRef, list: DeviceList, reset: boolean): Promise<void> {
    const check = await verifyDeviceList(list, { user: e2eeUserId(user.id) });
    if (!check.ok) throw new ParleyError("BAD_DEVICE_LIST");
    const stored = await this.store.putDeviceList(
      user.id,
      list.key,
      list.version,
      JSON.stringify(list),
      this.now(),
      reset,
    );
    if (stored === "stale") throw new ParleyError("STALE_DEVICE_LIST");
    if (stored === "key-changed") throw new ParleyError("ACCOUNT_KEY_CHANGED");
  }

  async list(
    userIds: readonly number[],
  ): Promise<{ user: UserRef; devices: DeviceBundle[]; list?: DeviceList }[]> {
    const unique = [...new Set(userIds)];
    const [bundles, lists, users] = await Promise.all([
      this.store.devicesOf(unique),
      this.store.deviceListsOf(unique),
      Promise.all(unique.map((id) => this.store.findUserById(id))),
    ]);
    return users.flatMap((user) => {
      if (!user) return [];
      const json = lists.get(user.id);
      return [
        {
          user,
          devices: (bundles.get(user.id) ?? []).map((b) => deviceBundleSchema.parse(JSON.parse(b))),
          ...(json ? { list: deviceListSchema.parse(JSON.parse(json)) } : {}),
        },
      ];
    });
  }
}
