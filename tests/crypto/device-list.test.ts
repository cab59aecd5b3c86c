import { describe, expect, it } from "bun:test";
import {
  createAccountKey,
  deviceListWire,
  signDeviceList,
  verifyDeviceList,
} from "../../src/crypto/device-list.ts";
import { createIdentity } from "../../src/crypto/identity.ts";
import { accountSafetyNumber, linkCode } from "../../src/crypto/safety-number.ts";
import { devices, flipBit } from "./fixtures.ts";

describe("signed device lists", () => {
  it("should verify a list the account key signed, devices sorted, whatever order they came in", async () => {
    const key = await createAccountKey();
    const ds = await devices("bob", ["phone", "desk"]);
    const list = await signDeviceList({
      user: "bob",
      version: 3,
      account: key,
      devices: ds.map((d) => d.bundle),
    });
    expect(list.devices.map((b) => b.device)).toEqual(["desk", "phone"]);
    const check = await verifyDeviceList(JSON.parse(JSON.stringify(deviceListWire(list))), {
      user: "bob",
    });
    expect(check.ok).toBe(true);
    if (check.ok) expect(check.list.hash).toBe(list.hash);
  });

  it("should refuse a list with a changed version, device, key or signature, or for someone else", async () => {
    const key = await createAccountKey();
    const ds = await devices("bob", ["desk", "phone"]);
    const wire = deviceListWire(
      await signDeviceList({
        user: "bob",
        version: 2,
        account: key,
        devices: ds.map((d) => d.bundle),
      }),
    );
    const rogue = (await createIdentity({ user: "bob", device: "zzz" })).bundle;
    const cases: [unknown, string][] = [
      [{ ...wire, version: 3 }, "bad-signature"],
      [{ ...wire, devices: [...wire.devices, rogue] }, "bad-signature"],
      [{ ...wire, devices: [wire.devices[1], wire.devices[0]] }, "unsorted"],
      [{ ...wire, sig: flipBit(wire.sig, 7) }, "bad-signature"],
      [
        {
          ...wire,
          key: (
            await signDeviceList({
              user: "bob",
              version: 2,
              account: await createAccountKey(),
              devices: [rogue],
            })
          ).key,
        },
        "bad-signature",
      ],
      [
        { ...wire, devices: [{ ...wire.devices[0], x25519: rogue.x25519 }, wire.devices[1]] },
        "bad-device",
      ],
      [{ ...wire, version: 0 }, "malformed"],
      [{ ...wire, devices: [] }, "malformed"],
    ];
    for (const [input, reason] of cases) {
      expect(await verifyDeviceList(input, { user: "bob" })).toEqual({
        ok: false,
        reason,
      } as never);
    }
    expect(await verifyDeviceList(wire, { user: "alice" })).toEqual({
      ok: false,
      reason: "wrong-user",
    });
  });

  it("should give the same account safety number from both sides, changed only by the identity keys", async () => {
    const ka = await signDeviceList({
      user: "1",
      version: 1,
      account: await createAccountKey(),
      devices: [(await createIdentity({ user: "1" })).bundle],
    });
    const kb = await signDeviceList({
      user: "2",
      version: 1,
      account: await createAccountKey(),
      devices: [(await createIdentity({ user: "2" })).bundle],
    });
    const ab = await accountSafetyNumber("1", ka.key, "2", kb.key);
    expect(ab).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(await accountSafetyNumber("2", kb.key, "1", ka.key)).toBe(ab);
    const other = await signDeviceList({
      user: "2",
      version: 1,
      account: await createAccountKey(),
      devices: kb.devices,
    });
    expect(await accountSafetyNumber("1", ka.key, "2", other.key)).not.toBe(ab);
  });

  it("should give each device its own 12-digit link code", async () => {
    const [a, b] = await devices("bob", ["a", "b"]);
    const code = await linkCode(a?.bundle as never);
    expect(code).toMatch(/^\d{4} \d{4} \d{4}$/);
    expect(await linkCode(a?.bundle as never)).toBe(code);
    expect(await linkCode(b?.bundle as never)).not.toBe(code);
  });
});
