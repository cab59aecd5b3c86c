/**
 * Key changes in encrypted groups (docs/e2ee.md 8 and 12): as in a DM, a group send is held while
 * a member's identity key changed and is not accepted, and goes, once, under its first cid, when
 * the sender accepts it with trust().
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import {
  createAccountKey,
  createIdentity,
  deviceListWire,
  signDeviceList,
} from "../../src/crypto/index.ts";
import { unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { until } from "./gated-clock.ts";
import { groupSuite, joinedGroup, nameOf } from "./group-member.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const suite = groupSuite("group-keys");

const member = () => suite.member();

describe("key changes in a group", () => {
  it("holds a group send while a member's identity key changed unaccepted, and sends it once after /trust", async () => {
    const [alice, bob, carol] = [await member(), await member(), await member()];
    const room = (await alice.groups.create(unique("g"), [nameOf(bob), nameOf(carol)])).id;
    await joinedGroup(bob, room);
    await joinedGroup(carol, room);
    alice.groups.send(room, "before");
    await until(() => carol.texts.includes("before"), "carol to read alice");

    // Bob's account now shows a device list signed by another identity key (a new phone, or a
    // server's forgery: alice cannot tell until she checks the safety number).
    const other = await createIdentity({ user: String(bob.account.user.id) });
    const list = await signDeviceList({
      user: String(bob.account.user.id),
      version: 99,
      account: await createAccountKey(),
      devices: [other.bundle],
    });
    const wire = JSON.stringify(deviceListWire(list));
    const put = await suite.server.store.putDeviceList(
      bob.account.user.id,
      list.key,
      list.version,
      wire,
      Date.now(),
      true,
    );
    expect(put).toBe("ok");

    alice.groups.send(room, "held for bob's keys");
    await until(() => alice.device.held.includes("held for bob's keys"), "the send to be held");
    expect(alice.device.dm.waitingOn(nameOf(bob))).toBe("peer");
    alice.groups.send(room, "after it");
    await until(() => alice.device.held.length === 2, "the next one held too");
    const stored = async () =>
      (await suite.server.store.logAfter(room, 0, 1000)).filter((m) => m.envelope !== undefined)
        .length;
    expect(await stored()).toBe(1);

    expect(await alice.device.dm.trust(nameOf(bob))).toBe("updated");
    await until(() => carol.texts.includes("after it"), "carol to read what was held");
    expect(carol.texts).toEqual(["before", "held for bob's keys", "after it"]);
    expect(await stored()).toBe(3);
    expect(alice.device.dm.heldMessages()).toEqual([]);
  });
});
