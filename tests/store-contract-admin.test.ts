/**
 * The store contract, its part for running a server (db/admin-store.ts): admins, disabled and
 * deleted accounts, settings, registration invites. Each case runs against SQLite and PostgreSQL
 * (tests/support/store-contract.ts).
 */
import { beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { Store } from "../db/store.ts";
import type { UserRef } from "../src/protocol/index.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";
import { fresh, sent, storeContract, T0 } from "./support/store-contract.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

storeContract("running a server", (c) => {
  let store: Store;
  beforeAll(() => {
    store = c.store;
  });
  const { user, room, req } = c;

  describe("running a server (migration 009)", () => {
    const by = (actor: UserRef, now = T0) => ({ actor, reason: "why", now });

    it("promotes, disables (ending every session) and enables accounts, audited", async () => {
      const root = await user();
      const u = await user();
      await store.createSession(u.id, fresh("tok"), T0, T0 + 10_000);
      expect(await store.accountFlags(u.id)).toEqual({ admin: false, disabled: false });
      expect(await store.setAdmin(u.id, true, by(root))).toBe(true);
      expect(await store.setAdmin(u.id, true, by(root))).toBe(false);
      expect(await store.setDisabled(u.id, true, by(root, T0 + 1))).toBe(true);
      expect(await store.accountFlags(u.id)).toEqual({ admin: true, disabled: true });
      expect(await store.listSessions(u.id, T0)).toEqual([]);
      // A session made while disabled is refused too.
      const late = fresh("tok");
      await store.createSession(u.id, late, T0, T0 + 10_000);
      expect(await store.findSession(late, T0)).toBeUndefined();
      expect((await store.liveSessions([late], T0)).size).toBe(0);
      expect(await store.setDisabled(u.id, false, by(root))).toBe(true);
      expect(await store.findSession(late, T0)).toBeDefined();
      const log = await store.auditLog(undefined, 50);
      const mine = log.filter((e) => e.target?.id === u.id).map((e) => e.action);
      expect(mine).toEqual(["user_enable", "user_disable", "admin_promote"]);
      const listed = await store.listUsers(undefined, 100_000);
      expect(listed.find((a) => a.id === u.id)).toMatchObject({ admin: true, disabled: false });
    });

    it("deletes an account: its messages stay under deleted-ID, each room it was in gets its leave, its name is free again", async () => {
      const root = await user();
      const u = await user();
      const r = await room(u);
      sent((await store.append([req(r.id, u, fresh("c"))]))[0]);
      const dm = await store.openDm(u.id, root.id, T0);
      expect(await store.deleteAccount(u.id, by(root))).toBe(true);
      expect(await store.findUser(u.name)).toBeUndefined();
      expect(await store.isMember(r.id, u.id)).toBe(false);
      const [m] = await store.messagesAfter(r.id, 0, 10);
      expect(m?.from).toEqual({ id: u.id, name: `deleted-${u.id}` });
      // Each room it was in says it left, in the deletion's transaction; a DM says nothing.
      const gone = { id: u.id, name: `deleted-${u.id}` };
      expect(
        (await store.logAfter(r.id, 1, 10)).map((e) =>
          "kind" in e ? [e.kind, e.from, e.body] : e,
        ),
      ).toEqual([["leave", gone, "account deleted"]]);
      expect(await store.logAfter(dm.id, 0, 10)).toEqual([]);
      expect(await store.createUser(u.name, "h", T0)).not.toBe("taken");
      expect(await store.deleteAccount(999_999_999, by(root))).toBe(false);
    });

    it("keeps settings, and registers with a live invite code only, spending its uses", async () => {
      const root = await user();
      expect(await store.setting(fresh("k"))).toBeUndefined();
      const key = fresh("k");
      await store.setSetting(key, "invite", by(root));
      expect(await store.setting(key)).toBe("invite");
      const code = fresh("code");
      await store.createServerInvite(code, T0 + 100, 1, by(root));
      const name = fresh("n");
      const made = await store.registerWithInvite(code, name, "h", T0);
      expect(made).toMatchObject({ name });
      expect(await store.registerWithInvite(code, fresh("n"), "h", T0)).toBe("invalid");
      const other = fresh("code");
      await store.createServerInvite(other, T0 + 100, 5, by(root));
      expect(await store.registerWithInvite(other, name, "h", T0)).toBe("taken");
      expect(await store.registerWithInvite(other, fresh("n"), "h", T0 + 100)).toBe("invalid");
    });
  });
});
