/**
 * The store contract, its part for accounts and sessions (db/account-store.ts): users, sessions,
 * session controls and WebSocket tickets. Each case runs against SQLite and PostgreSQL
 * (tests/support/store-contract.ts).
 */
import { beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { Store, UserRecord } from "../db/store.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";
import { fresh, storeContract, T0 } from "./support/store-contract.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

storeContract("accounts and sessions", (c) => {
  let store: Store;
  beforeAll(() => {
    store = c.store;
  });
  const { user } = c;

  describe("users", () => {
    it("creates a user and finds it by name in any case, keeping the chosen case", async () => {
      const name = fresh("Alice");
      const created = await store.createUser(name, "argon-hash", T0);
      expect(created).toEqual({ id: expect.any(Number), name, passwordHash: "argon-hash" });
      expect(await store.findUser(name.toUpperCase())).toEqual(created as UserRecord);
      expect(await store.findUser(name.toLowerCase())).toEqual(created as UserRecord);
    });

    it("refuses a name that differs only in case as taken", async () => {
      const name = fresh("Bob");
      await store.createUser(name, "h", T0);
      expect(await store.createUser(name.toUpperCase(), "h2", T0)).toBe("taken");
      expect((await store.findUser(name))?.passwordHash).toBe("h");
    });

    it("finds no unknown user", async () => {
      expect(await store.findUser(fresh("nobody"))).toBeUndefined();
    });
  });

  describe("sessions", () => {
    it("finds a live session with its user until it expires", async () => {
      const u = await user();
      await store.createSession(u.id, "tok-live", T0, T0 + 1000);
      expect(await store.findSession("tok-live", T0 + 999)).toEqual({
        user: u,
        expiresAt: T0 + 1000,
      });
      expect(await store.findSession("tok-live", T0 + 1000)).toBeUndefined();
      expect(await store.findSession("tok-unknown", T0)).toBeUndefined();
    });

    it("deletes a session once", async () => {
      const u = await user();
      await store.createSession(u.id, "tok-del", T0, T0 + 1000);
      expect(await store.deleteSession("tok-del")).toBe(true);
      expect(await store.deleteSession("tok-del")).toBe(false);
      expect(await store.findSession("tok-del", T0)).toBeUndefined();
    });

    it("sweeps only expired sessions", async () => {
      const u = await user();
      const far = T0 + 10_000_000;
      await store.createSession(u.id, "tok-old-1", T0, far + 1);
      await store.createSession(u.id, "tok-old-2", T0, far + 2);
      await store.createSession(u.id, "tok-new", T0, far + 100);
      expect(await store.deleteExpiredSessions(far + 2)).toBeGreaterThanOrEqual(2);
      expect(await store.findSession("tok-old-2", T0)).toBeUndefined();
      expect((await store.findSession("tok-new", far + 3))?.user).toEqual(u);
    });
  });

  describe("session controls and tickets (migration 004)", () => {
    it("lists a user's live sessions newest first, with last use and client", async () => {
      const u = await user();
      const other = await user();
      await store.createSession(u.id, "sess-a", T0, T0 + 1000);
      await store.createSession(u.id, "sess-b", T0 + 1, T0 + 1000);
      await store.createSession(u.id, "sess-gone", T0, T0 + 10);
      await store.createSession(other.id, "sess-other", T0, T0 + 1000);
      await store.touchSession("sess-a", T0 + 50, "x".repeat(300));
      await store.touchSession("sess-a", T0 + 60);
      expect(await store.listSessions(u.id, T0 + 20)).toEqual([
        {
          tokenHash: "sess-b",
          createdAt: T0 + 1,
          lastSeenAt: 0,
          expiresAt: T0 + 1000,
          agent: "",
        },
        {
          tokenHash: "sess-a",
          createdAt: T0,
          lastSeenAt: T0 + 60,
          expiresAt: T0 + 1000,
          agent: "x".repeat(200),
        },
      ]);
    });

    it("deletes all of a user's sessions but one, or all, and tells which", async () => {
      const u = await user();
      const other = await user();
      for (const t of ["keep-1", "drop-1", "drop-2"])
        await store.createSession(u.id, t, T0, T0 + 1000);
      await store.createSession(other.id, "other-1", T0, T0 + 1000);
      expect((await store.deleteSessionsOf(u.id, "keep-1")).sort()).toEqual(["drop-1", "drop-2"]);
      expect(await store.findSession("keep-1", T0)).toBeDefined();
      expect(await store.deleteSessionsOf(u.id)).toEqual(["keep-1"]);
      expect(await store.findSession("other-1", T0)).toBeDefined();
    });

    it("changes a password hash", async () => {
      const name = fresh("pw");
      const created = await store.createUser(name, "old-hash", T0);
      if (created === "taken") throw new Error("taken");
      await store.setPassword(created.id, "new-hash");
      expect((await store.findUser(name))?.passwordHash).toBe("new-hash");
    });

    it("redeems a ticket once, never after it expires or its session is gone", async () => {
      const u = await user();
      await store.createSession(u.id, "tick-sess", T0, T0 + 100_000);
      await store.createTicket("ticket-1", "tick-sess", T0 + 30);
      await store.createTicket("ticket-2", "tick-sess", T0 + 30);
      await store.createTicket("ticket-3", "tick-sess", T0 + 30);
      expect(await store.consumeTicket("ticket-1", T0 + 10)).toBe("tick-sess");
      expect(await store.consumeTicket("ticket-1", T0 + 11)).toBeUndefined();
      expect(await store.consumeTicket("ticket-2", T0 + 30)).toBeUndefined();
      await store.deleteSession("tick-sess");
      expect(await store.consumeTicket("ticket-3", T0 + 10)).toBeUndefined();
    });
  });

  describe("batch lookups", () => {
    it("tells which of many session tokens are still live", async () => {
      const u = await user();
      await store.createSession(u.id, "batch-live", T0, T0 + 1000);
      await store.createSession(u.id, "batch-expired", T0, T0 + 10);
      await store.createSession(u.id, "batch-gone", T0, T0 + 1000);
      await store.deleteSession("batch-gone");
      const live = await store.liveSessions(
        ["batch-live", "batch-expired", "batch-gone", "never"],
        T0 + 100,
      );
      expect([...live]).toEqual(["batch-live"]);
    });
  });
});
