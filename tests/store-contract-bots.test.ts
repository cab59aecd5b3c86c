/**
 * The store contract, its part for bots (db/bot-store.ts): bots and their tokens. Each case runs
 * against SQLite and PostgreSQL (tests/support/store-contract.ts).
 */
import { beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { BotTokenRecord, Store } from "../db/store.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";
import { fresh, storeContract, T0 } from "./support/store-contract.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

storeContract("bots", (c) => {
  let store: Store;
  beforeAll(() => {
    store = c.store;
  });
  const { user, room } = c;

  describe("bots and bot tokens", () => {
    it("creates a bot owned by a user, refuses a taken name, and lists and finds it", async () => {
      const owner = await user();
      const name = fresh("bot");
      const bot = await store.createBot(owner.id, name, "bot-hash", T0);
      expect(bot).toEqual({ id: expect.any(Number), name, owner: owner.id, createdAt: T0 });
      if (bot === "taken") throw new Error("taken");
      expect(await store.createBot(owner.id, name.toUpperCase(), "h", T0)).toBe("taken");
      expect(await store.createBot(owner.id, owner.name, "h", T0)).toBe("taken");
      expect(await store.botsOf(owner.id)).toEqual([bot]);
      expect(await store.findBot(bot.id)).toEqual(bot);
      // A person is not a bot, and a bot takes DMs from its contacts only (it has none).
      expect(await store.findBot(owner.id)).toBeUndefined();
      expect(await store.dmPolicy(bot.id)).toBe("contacts");
      expect(await store.findUserById(bot.id)).toEqual({ id: bot.id, name });
    });

    it("finds a live token by its hash with its rooms, and never a revoked one", async () => {
      const owner = await user();
      const bot = await store.createBot(owner.id, fresh("bot"), "h", T0);
      if (bot === "taken") throw new Error("taken");
      const r1 = await room(owner);
      const r2 = await room(owner);
      const hash = `hash-${fresh("t")}`;
      const id = await store.createBotToken({
        botId: bot.id,
        kind: "api",
        tokenHash: hash,
        rooms: [r1.id, r2.id],
        now: T0,
      });
      const hook = await store.createBotToken({
        botId: bot.id,
        kind: "webhook",
        tokenHash: `hook-${hash}`,
        rooms: [r2.id],
        now: T0 + 1,
      });
      const live: BotTokenRecord = {
        id,
        bot: { id: bot.id, name: bot.name },
        owner: owner.id,
        kind: "api",
        rooms: [r1.id, r2.id],
        createdAt: T0,
      };
      expect(await store.findBotToken(hash)).toEqual(live);
      expect(await store.findBotToken("no-such-hash")).toBeUndefined();
      expect((await store.botTokens(bot.id)).map((t) => t.id)).toEqual([id, hook]);

      expect(await store.revokeBotToken(bot.id, id, T0 + 5)).toBe(hash);
      expect(await store.revokeBotToken(bot.id, id, T0 + 6)).toBeUndefined();
      // Only the bot's own token can be revoked through it.
      expect(await store.revokeBotToken(owner.id, hook, T0 + 6)).toBeUndefined();
      expect(await store.findBotToken(hash)).toBeUndefined();
      expect(await store.findBotToken(`hook-${hash}`)).toMatchObject({ kind: "webhook" });
      expect((await store.botTokens(bot.id))[0]).toEqual({ ...live, revokedAt: T0 + 5 });
    });
  });
});
