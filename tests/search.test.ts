/**
 * GET /api/search on a real server: the caller's public-room messages, newest first, paged, in
 * step with edits and deletes; bad queries and other people's rooms refused with codes.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { register } from "./support/client.ts";
import { change, messageEventsSuite, pair, send, server } from "./support/message-events.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

messageEventsSuite();

describe("GET /api/search", () => {
  async function search(token: string, query: string) {
    const res = await fetch(`${server?.url}/api/search?${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it("finds the caller's public-room messages newest first, paged, in step with edits and deletes", async () => {
    const { alice, bob, room, a } = await pair();
    const m1 = await send(a, room, "Deploy the walrus on Friday");
    const m2 = await send(a, room, "the walrus deploy went fine");
    const m3 = await send(a, room, "walrus again");
    const first = await search(bob.token, "q=walrus&limit=2");
    expect(first.status).toBe(200);
    const results = first.body.results as { room: number; seq: number; snippet: string }[];
    expect(results.map((r) => r.seq)).toEqual([m3.seq, m2.seq]);
    expect(results[0]).toMatchObject({ room, from: { id: alice.user.id } });
    expect(results[1]?.snippet).toContain("walrus");
    const second = await search(bob.token, `q=walrus&limit=2&before=${first.body.next}`);
    expect((second.body.results as { seq: number }[]).map((r) => r.seq)).toEqual([m1.seq]);
    expect(second.body.next).toBeUndefined();
    await change(a, room, { kind: "delete", target: m1.seq });
    await change(a, room, { kind: "edit", target: m3.seq, body: "an otter" });
    const after = await search(bob.token, `q=WALRUS&room=${room}`);
    expect((after.body.results as { seq: number }[]).map((r) => r.seq)).toEqual([m2.seq]);
    expect(((await search(bob.token, "q=deploy%20fine")).body.results as unknown[]).length).toBe(1);
  });

  it("refuses an empty or too long query with INVALID_SEARCH and another's room with NOT_MEMBER", async () => {
    const { alice, room } = await pair();
    expect((await search(alice.token, "q=%20%20")).body.code).toBe("INVALID_SEARCH");
    expect((await search(alice.token, "")).body.code).toBe("INVALID_SEARCH");
    expect((await search(alice.token, `q=${"x".repeat(201)}`)).body.code).toBe("INVALID_SEARCH");
    const carol = await register(server?.url as string);
    const res = await search(carol.token, `q=hello&room=${room}`);
    expect([res.status, res.body.code]).toEqual([403, "NOT_MEMBER"]);
    expect((await search(carol.token, "q=hello")).body.results).toEqual([]);
  });
});
