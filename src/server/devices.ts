/**
 * The device key directory: each device publishes its signed public keys, and anyone may fetch
 * a user's devices to seal a DM for them. The server checks the signature and that the bundle
 * names its publisher, but clients trust keys only through their own key book (TOFU, safety
 * numbers): the server could still lie about which devices exist, and docs/e2ee.md says so.
 */
import type { Store } from "../../db/store.ts";
import { type DeviceBundle, deviceBundleSchema, verifyBundle } from "../crypto/index.ts";
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

  async list(userIds: readonly number[]): Promise<{ user: UserRef; devices: DeviceBundle[] }[]> {
    const unique = [...new Set(userIds)];
    const [bundles, users] = await Promise.all([
      this.store.devicesOf(unique),
      Promise.all(unique.map((id) => this.store.findUserById(id))),
    ]);
    return users.flatMap((user) =>
      user
        ? [
            {
              user,
              devices: (bundles.get(user.id) ?? []).map((json) =>
                deviceBundleSchema.parse(JSON.parse(json)),
              ),
            },
          ]
        : [],
    );
  }
}
