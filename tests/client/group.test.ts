/**
 * Encrypted group conversations (issue 17, docs/e2ee.md 12) over a real server and real sockets:
 * members read each other, membership changes are signed and shown, a removed member cannot
 * open what is sent after the removal, versions a malicious server writes into its store are
 * rejected and shown as such, and the store holds no plaintext of group messages.
 */

import { Database } from "bun:sqlite";
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { deviceFiles } from "../../src/client/device-files.ts";
import {
  acceptMembership,
  type Envelope,
  type Identity,
  importIdentity,
  open,
  seal,
  signMembership,
  verifyBundle,
} from "../../src/crypto/index.ts";
import { groupConversation, type Message, type RoomEvent } from "../../src/protocol/index.ts";
import type { Account } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { until } from "./gated-clock.ts";
import { groupSuite, joinedGroup, type Member, nameOf } from "./group-member.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const suite = groupSuite("group");

/** A member's device: a new one, or (with `restart`) the same device started again. */
async function member(account?: Account, restart?: Member): Promise<Member> {
  restart?.close();
  return suite.member(account, restart?.device.dir);
}

const lines = (m: Member) => m.changes.map((c) => c.text);
const name = nameOf;

async function identityOf(m: Member): Promise<Identity> {
  const files = deviceFiles(m.device.dir, suite.server.url, m.account.user.id);
  const imported = await importIdentity(JSON.parse(readFileSync(files.identityPath, "utf8")));
  if (!imported.ok) throw new Error("no identity");
  return imported.identity;
}

/** The group's stored messages and events, as the server's store holds them. */
async function stored(room: number) {
  return suite.server.store.logAfter(room, 0, 1000);
}

describe("encrypted groups", () => {
  it("lets members read each other, shows signed membership changes, and a removed member cannot open what is sent after", async () => {
    const [alice, bob, carol] = [await member(), await member(), await member()];
    const room = await alice.groups.create("crew", [name(bob), name(carol)]);
    expect(room.kind).toBe("group");
    await joinedGroup(bob, room.id);
    await joinedGroup(carol, room.id);

    alice.groups.send(room.id, "hello crew");
    await until(() => bob.texts.includes("hello crew"), "bob to read alice");
    await until(() => carol.texts.includes("hello crew"), "carol to read alice");
    carol.groups.send(room.id, "carol here");
    await until(() => alice.texts.includes("carol here"), "alice to read carol");
    expect(lines(bob)).toContain(
      `${name(alice)} created the group with ${name(bob)}, ${name(carol)}`,
    );

    await alice.groups.remove(room.id, [name(carol)]);
    await until(
      () => lines(bob).includes(`${name(alice)} removed ${name(carol)}`),
      "bob to see the removal",
    );
    const secret = `after-removal-${crypto.randomUUID()}`;
    alice.groups.send(room.id, secret);
    await until(() => bob.texts.includes(secret), "bob to read the message after the removal");

    // Carol's device was not addressed: with her own keys the stored envelope does not open.
    const last = (await stored(room.id))
      .filter((e): e is Message => !("kind" in e))
      .at(-1) as Message;
    const env = last.envelope as Envelope;
    expect(env.to.some((r) => r.u === String(carol.account.user.id))).toBe(false);
    const carolKeys = await identityOf(carol);
    const aliceBundle = await verifyBundle((await identityOf(alice)).bundle, {
      user: String(alice.account.user.id),
    });
    if (!aliceBundle.ok) throw new Error("alice's bundle");
    expect(
      await open(env, {
        me: carolKeys,
        conversation: groupConversation(room.id),
        senders: [aliceBundle.bundle],
      }),
    ).toEqual({ outcome: "not-addressed" });
    expect(carol.texts).not.toContain(secret);
    // The server no longer gives her the group, nor takes her messages there.
    await expect(carol.device.conn.history(room.id, { after: 0 })).rejects.toMatchObject({
      code: "ROOM_NOT_FOUND",
    });

    // A client that still seals for carol is refused by the server: only members are addressed.
    const carolBundle = await verifyBundle(carolKeys.bundle, {
      user: String(carol.account.user.id),
    });
    if (!carolBundle.ok) throw new Error("carol's bundle");
    const cid = crypto.randomUUID();
    const stale = await seal({
      from: await identityOf(alice),
      conversation: groupConversation(room.id),
      text: "still for carol",
      id: cid,
      to: [carolBundle.bundle],
    });
    await expect(
      alice.device.conn.request({ type: "send", room: room.id, cid, envelope: stale }),
    ).rejects.toMatchObject({ code: "BAD_ENVELOPE" });
    // And no plaintext is taken in a group.
    await expect(
      alice.device.conn.request({ type: "send", room: room.id, cid: "p1", body: "in clear" }),
    ).rejects.toMatchObject({ code: "SEALED_ONLY" });

    // Bob leaves; alice sees it.
    await bob.groups.leave(room.id);
    await until(() => lines(alice).includes(`${name(bob)} left`), "alice to see bob leave");
  });

  it("rejects, and shows as rejected, membership versions a malicious server replays or forges in its store", async () => {
    const [alice, bob, mallory] = [await member(), await member(), await member()];
    const room = await alice.groups.create("council", [name(bob)]);
    await joinedGroup(bob, room.id);
    await until(() => bob.changes.length === 1, "bob to see version 1");
    const versions = await suite.server.store.groupVersions(room.id);
    const first = versions[0];
    if (!first) throw new Error("no version 1");

    // The server writes a replay of version 1, and a version 2 signed by mallory adding herself.
    const aliceBundle = await verifyBundle((await identityOf(alice)).bundle, {
      user: String(alice.account.user.id),
    });
    if (!aliceBundle.ok) throw new Error("alice's bundle");
    const v1 = await acceptMembership(JSON.parse(first.body), undefined, aliceBundle.bundle);
    if (!v1.ok) throw new Error("version 1 does not verify");
    const current = v1.membership;
    // Well chained (the right version and hash), but by someone who is no admin: not allowed.
    const forged = await signMembership({
      conv: groupConversation(room.id),
      current,
      members: [...current.members, String(mallory.account.user.id)],
      admins: current.admins,
      by: await identityOf(mallory),
    });
    const write = (sender: Account, body: string) =>
      suite.server.store.append([
        {
          room: room.id,
          sender: sender.user,
          cid: crypto.randomUUID(),
          body,
          ts: Date.now(),
          event: { kind: "membership" },
        },
      ]);
    expect((await write(alice.account, first.body))[0]?.ok).toBe(true);
    expect((await write(alice.account, JSON.stringify(forged)))[0]?.ok).toBe(true);

    // Bob restarts: his device reads the chain from the server and refuses both.
    const again = await member(bob.account, bob);
    await until(() => again.changes.length === 3, "bob's new session to judge the chain");
    expect(again.changes.map((c) => c.outcome)).toEqual(["accepted", "rejected", "rejected"]);
    expect(again.changes.map((c) => (c.outcome === "rejected" ? c.reason : c.version))).toEqual([
      1,
      "wrong-version",
      "not-allowed",
    ]);
    expect(again.changes[1]?.text).toContain("rejected");
    expect(await again.groups.members(room.id)).toEqual(
      [String(alice.account.user.id), String(bob.account.user.id)].sort(),
    );

    // Alice's next message is sealed for the genuine members only: not for mallory.
    const restarted = await member(alice.account, alice);
    restarted.groups.send(room.id, "only for the council");
    await until(() => again.texts.includes("only for the council"), "bob to read it");
    const last = (await stored(room.id)).filter((e) => !("kind" in e)).at(-1) as Message;
    expect(last.envelope?.to.some((r) => r.u === String(mallory.account.user.id))).toBe(false);
    // The store holds the three versions as they were written; only the clients judged them.
    const events = (await stored(room.id)).filter((e): e is RoomEvent => "kind" in e);
    expect(events.map((e) => e.kind)).toEqual(["membership", "membership", "membership"]);
  });

  it("refuses, on the server, a membership change that is not the sender's to make, a plain leave, and a stale version", async () => {
    const [alice, bob, carol] = [await member(), await member(), await member()];
    const room = await alice.groups.create("club", [name(bob)]);
    await joinedGroup(bob, room.id);
    await until(() => bob.changes.length === 1, "bob to see version 1");
    // Bob is no admin: adding someone is refused by the server (and would be by every client).
    await expect(bob.groups.add(room.id, [name(carol)])).rejects.toMatchObject({
      code: "BAD_MEMBERSHIP",
    });
    // A plain leave would leave the chain naming him: refused; he leaves with a signed version.
    await expect(bob.device.conn.leave(room.id)).rejects.toMatchObject({ code: "BAD_MEMBERSHIP" });
    // Version 1 again (a stale or replayed version) is refused as not the next one.
    const [v1] = await suite.server.store.groupVersions(room.id);
    await expect(
      alice.device.conn.request({
        type: "group_membership",
        room: room.id,
        membership: JSON.parse(v1?.body ?? "{}"),
      }),
    ).rejects.toMatchObject({ code: "BAD_MEMBERSHIP" });
    // Outsiders learn nothing of the group.
    await expect(
      carol.device.conn.request({ type: "group_state", room: room.id }),
    ).rejects.toMatchObject({ code: "ROOM_NOT_FOUND" });
    expect((await suite.server.store.groupVersions(room.id)).length).toBe(1);
  });

  it("keeps no plaintext of group messages in the store (database and WAL)", async () => {
    const [alice, bob] = [await member(), await member()];
    const room = await alice.groups.create("vault", [name(bob)]);
    await joinedGroup(bob, room.id);
    const secret = `group-secret-${crypto.randomUUID()}`;
    alice.groups.send(room.id, secret);
    await until(() => bob.texts.includes(secret), "bob to read it");
    const db = new Database(join(suite.server.dir, "parley.db"), { readonly: true });
    try {
      const rows = db.query("SELECT body FROM messages WHERE room_id = ?").all(room.id) as {
        body: string;
      }[];
      expect(rows.some((r) => r.body.includes(secret))).toBe(false);
    } finally {
      db.close();
    }
    for (const file of readdirSync(suite.server.dir)) {
      if (!file.startsWith("parley.db")) continue;
      expect(readFileSync(join(suite.server.dir, file)).includes(Buffer.from(secret))).toBe(false);
    }
    expect(suite.server.logs.join("\n")).not.toContain(secret);
  });
});
