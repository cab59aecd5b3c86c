/**
 * Replies, edits, reactions and deletions in encrypted groups (docs/e2ee.md 5b and 12), over a
 * real server and sockets: sealed like the group's messages by the shared SealedChanges, opened
 * and applied by every member, refused by the server in plaintext, and never stored in clear.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import type { EventContent } from "../../src/client-core/message-state.ts";
import { SealedChanges } from "../../src/client-core/sealed-changes.ts";
import type { Message, RoomEvent } from "../../src/protocol/index.ts";
import { unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { until } from "./gated-clock.ts";
import { groupSuite, joinedGroup, type Member, nameOf } from "./group-member.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const suite = groupSuite("group-changes");

interface Changer extends Member {
  sealed: SealedChanges;
  applied: { e: RoomEvent; content: EventContent }[];
  problems: string[];
  messages: Message[];
}

async function member(): Promise<Changer> {
  const m = await suite.member();
  const applied: Changer["applied"] = [];
  const problems: string[] = [];
  const messages: Message[] = [];
  const sealed = new SealedChanges(
    m.device.conn,
    { dm: m.device.dm, groups: m.groups },
    {
      change: (e, content) => applied.push({ e, content }),
      problem: (text) => problems.push(text),
    },
  );
  m.groups.on("message", (msg, content) => {
    if (content.kind === "text") messages.push(msg);
  });
  suite.track(sealed);
  return { ...m, sealed, applied, problems, messages };
}

describe("changes to group messages", () => {
  it("seals replies, edits, reactions and deletes for the members, who apply them; the server keeps no plaintext", async () => {
    const [alice, bob, carol] = [await member(), await member(), await member()];
    const room = (await alice.groups.create(unique("g"), [nameOf(bob), nameOf(carol)])).id;
    await joinedGroup(bob, room);
    await joinedGroup(carol, room);
    alice.groups.send(room, "lunch at noon");
    await until(() => bob.messages.some((m) => m.body === "lunch at noon"), "bob to read it");
    const seq = bob.messages.find((m) => m.body === "lunch at noon")?.seq as number;

    const secretEdit = `lunch at one ${crypto.randomUUID()}`;
    await alice.sealed.send(room, { kind: "edit", target: seq, body: secretEdit });
    await bob.sealed.send(room, { kind: "react", target: seq, emoji: "👍", on: true });
    bob.groups.send(room, "works for me", undefined, seq);
    await until(() => carol.applied.length === 2, "carol to apply the edit and the reaction");
    expect(carol.applied.map((a) => [a.e.kind, a.e.from.name, a.e.target, a.content])).toEqual([
      ["edit", nameOf(alice), seq, { body: secretEdit }],
      ["react", nameOf(bob), seq, { emoji: "👍", on: true }],
    ]);
    await until(() => carol.messages.some((m) => m.body === "works for me"), "carol: the reply");
    expect(carol.messages.find((m) => m.body === "works for me")?.reply?.seq).toBe(seq);

    // A history page shows the edited message with its latest edit, opened and checked.
    const page = await carol.device.conn.history(room, { after: 0 });
    const stored = page.messages.find((m) => m.seq === seq) as Message;
    const shown = await carol.groups.revealStored(stored);
    expect(shown?.content).toEqual({ kind: "text", text: secretEdit });

    // Plaintext changes are refused in a group; the server stored none of the texts.
    const conn = alice.device.conn;
    await expect(
      conn.change(room, { kind: "edit", target: seq, body: "in clear" }),
    ).rejects.toMatchObject({ code: "SEALED_ONLY" });
    await expect(
      conn.change(room, { kind: "react", target: seq, emoji: "🎉", on: true }),
    ).rejects.toMatchObject({ code: "SEALED_ONLY" });
    const log = JSON.stringify(await suite.server.store.logAfter(room, 0, 1000));
    for (const text of [secretEdit, "works for me", "👍", "lunch"]) expect(log).not.toContain(text);

    // Only its author edits a message: bob's edit of alice's is refused (and clients check it).
    await expect(
      bob.sealed.send(room, { kind: "edit", target: seq, body: "bob's words" }),
    ).rejects.toMatchObject({ code: "NOT_AUTHOR" });

    await alice.sealed.send(room, { kind: "delete", target: seq });
    await until(() => bob.applied.some((a) => a.e.kind === "delete"), "bob to see it deleted");
    expect(carol.problems).toEqual([]);
  });
});
