import { describe, expect, it } from "bun:test";
import { open, seal } from "../../src/crypto/envelope.ts";
import {
  acceptMembership,
  type Membership,
  signMembership,
  type VerifiedMembership,
} from "../../src/crypto/group-membership.ts";
import type { Identity } from "../../src/crypto/identity.ts";
import { devices } from "./fixtures.ts";

const CONV = "group:9";

/** One device per person: alice (admin), bob, carol, dave. */
async function people() {
  const [alice, bob, carol, dave] = await Promise.all(
    ["alice", "bob", "carol", "dave"].map(async (u) => (await devices(u, ["d"]))[0] as Identity),
  );
  return { alice, bob, carol, dave } as Record<"alice" | "bob" | "carol" | "dave", Identity>;
}

async function accepted(m: Membership, current: VerifiedMembership | undefined, signer: Identity) {
  const check = await acceptMembership(m, current, signer.bundle);
  if (!check.ok) throw new Error(check.reason);
  return check.membership;
}

describe("group membership", () => {
  it("lets a removed member open nothing sent after the removal, and refuses their messages", async () => {
    const p = await people();
    const all = [p.alice, p.bob, p.carol];
    const v1 = await accepted(
      await signMembership({
        conv: CONV,
        current: undefined,
        members: ["alice", "bob", "carol"],
        admins: ["alice"],
        by: p.alice,
      }),
      undefined,
      p.alice,
    );
    const sealFor = (text: string, members: readonly string[], from = p.alice) =>
      seal({
        from,
        conversation: CONV,
        text,
        to: all.filter((d) => members.includes(d.user)).map((d) => d.bundle),
      });
    const senders = all.map((d) => d.bundle);
    const before = await sealFor("before", v1.members);
    expect(
      await open(before, { me: p.carol, conversation: CONV, senders, participants: v1.members }),
    ).toMatchObject({ outcome: "opened", text: "before" });

    const v2 = await accepted(
      await signMembership({
        conv: CONV,
        current: v1,
        members: ["alice", "bob"],
        admins: ["alice"],
        by: p.alice,
      }),
      v1,
      p.alice,
    );
    const after = await sealFor("after", v2.members);
    expect(
      await open(after, { me: p.carol, conversation: CONV, senders, participants: v2.members }),
    ).toEqual({ outcome: "not-addressed" });
    expect(
      await open(after, { me: p.bob, conversation: CONV, senders, participants: v2.members }),
    ).toMatchObject({ outcome: "opened", text: "after" });
    // Carol, still holding her keys, writes to the group: the members refuse it.
    const fromCarol = await sealFor("still here?", v1.members, p.carol);
    expect(
      await open(fromCarol, { me: p.bob, conversation: CONV, senders, participants: v2.members }),
    ).toEqual({ outcome: "tampered", reason: "participants" });
  });

  it("accepts changes by an admin and a member leaving, and refuses the rest", async () => {
    const p = await people();
    const v1 = await accepted(
      await signMembership({
        conv: CONV,
        current: undefined,
        members: ["alice", "bob", "carol"],
        admins: ["alice"],
        by: p.alice,
      }),
      undefined,
      p.alice,
    );
    // bob is no admin: he cannot add dave, nor remove carol.
    const byBob = await signMembership({
      conv: CONV,
      current: v1,
      members: ["alice", "bob", "carol", "dave"],
      admins: ["alice"],
      by: p.bob,
    });
    expect(await acceptMembership(byBob, v1, p.bob.bundle)).toEqual({
      ok: false,
      reason: "not-allowed",
    });
    // A version signed by one device and claimed for another.
    expect(await acceptMembership(byBob, v1, p.alice.bundle)).toEqual({
      ok: false,
      reason: "bad-signature",
    });
    // Carol may leave.
    const leave = await signMembership({
      conv: CONV,
      current: v1,
      members: ["alice", "bob"],
      admins: ["alice"],
      by: p.carol,
    });
    const v2 = await accepted(leave, v1, p.carol);
    expect(v2.members).toEqual(["alice", "bob"]);
    // The server cannot replay version 2 again, nor roll back to version 1, nor fork version 2.
    expect(await acceptMembership(leave, v2, p.carol.bundle)).toEqual({
      ok: false,
      reason: "wrong-version",
    });
    const add = await signMembership({
      conv: CONV,
      current: v1,
      members: ["alice", "bob", "dave"],
      admins: ["alice"],
      by: p.alice,
    });
    expect(await acceptMembership(add, v2, p.alice.bundle)).toEqual({
      ok: false,
      reason: "wrong-version",
    });
    // A version 3 that does not follow the version 2 the reader holds.
    const fork = await signMembership({
      conv: CONV,
      current: { ...v1, version: 2 } as VerifiedMembership,
      members: ["alice", "bob", "dave"],
      admins: ["alice"],
      by: p.alice,
    });
    expect(await acceptMembership(fork, v2, p.alice.bundle)).toEqual({
      ok: false,
      reason: "wrong-previous",
    });
    // A first version not made by its admin.
    const seized = await signMembership({
      conv: CONV,
      current: undefined,
      members: ["alice", "dave"],
      admins: ["alice"],
      by: p.dave,
    });
    expect(await acceptMembership(seized, undefined, p.dave.bundle)).toEqual({
      ok: false,
      reason: "not-allowed",
    });
  });
});
