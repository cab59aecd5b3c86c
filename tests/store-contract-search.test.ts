/**
 * The store contract, its part for search (migration 007): words of the caller's public rooms,
 * newest first, paged, in step with edits and deletes. Each case runs against SQLite and
 * PostgreSQL (tests/support/store-contract.ts).
 */
import { beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { AppendRequest, Store } from "../db/store.ts";
import type { Message } from "../src/protocol/index.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";
import { fresh, sent, storeContract, T0 } from "./support/store-contract.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

storeContract("the message log", (c) => {
  let store: Store;
  beforeAll(() => {
    store = c.store;
  });
  const { user, room, req, sealedReq } = c;

  describe("search (migration 007)", () => {
    it("finds words of the caller's public rooms only, newest first, kept in step with edits and deletes", async () => {
      const a = await user();
      const b2 = await user();
      const mine = await room(a);
      const theirs = await room(b2);
      const word = fresh("zebra").toLowerCase();
      const at = (r: AppendRequest, ts: number) => ({ ...r, ts });
      const [m1, m2, m3] = (
        await store.append([
          at(req(mine.id, a, "s-1", `the ${word} runs`), T0 + 1),
          at(req(mine.id, a, "s-2", `a ${word}fish swims`), T0 + 2),
          at(req(mine.id, a, "s-3", `no match here`), T0 + 3),
        ])
      ).map((r) => sent(r)) as [Message, Message, Message];
      await store.append([at(req(theirs.id, b2, "s-4", `their ${word}`), T0 + 4)]);
      const dm = await store.openDm(a.id, b2.id, T0);
      await store.append([sealedReq(dm.id, a, "s-5")]);
      const hits = await store.search(a.id, { terms: [word], limit: 10 });
      expect(hits.map((h) => [h.room, h.seq])).toEqual([
        [mine.id, m2.seq],
        [mine.id, m1.seq],
      ]);
      expect(hits[1]).toMatchObject({ ts: T0 + 1, from: a });
      expect(hits[1]?.snippet).toContain(word);
      // Paged: the page after the first hit.
      const next = await store.search(a.id, {
        terms: [word],
        limit: 10,
        before: { ts: T0 + 2, room: mine.id, seq: m2.seq },
      });
      expect(next.map((h) => h.seq)).toEqual([m1.seq]);
      // Two words must both match.
      expect(await store.search(a.id, { terms: [word, "runs"], limit: 10 })).toHaveLength(1);
      // An edit replaces what is found; a delete removes it.
      await store.append([
        {
          ...req(mine.id, a, "s-e", `still a ${word}`),
          event: { kind: "edit", target: m3.seq },
        },
        { ...req(mine.id, a, "s-d", ""), event: { kind: "delete", target: m1.seq } },
        { ...req(mine.id, a, "s-e2", "plain words"), event: { kind: "edit", target: m2.seq } },
      ]);
      const after = await store.search(a.id, { terms: [word], limit: 10 });
      expect(after.map((h) => h.seq)).toEqual([m3.seq]);
      expect(await store.search(a.id, { terms: ["plain"], room: theirs.id, limit: 10 })).toEqual(
        [],
      );
      expect(await store.search(b2.id, { terms: [word], limit: 10 })).toHaveLength(1);
    });
  });
});
