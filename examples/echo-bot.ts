#!/usr/bin/env bun
/**
 * An example Parley bot built on src/bot/bot.ts. It answers, in every room its token was given:
 *
 *   !ping          pong
 *   !echo TEXT     TEXT
 *   !roll [N]      a number from 1 to N (default 6)
 *
 * It survives server restarts and its own: it resumes each room from the last message it
 * handled (kept in PARLEY_BOT_STATE) and never answers a message twice.
 *
 *   PARLEY_SERVER=http://127.0.0.1:3000 PARLEY_BOT_TOKEN=pb_… bun examples/echo-bot.ts
 *
 * Make the bot and its token with the API (docs/operations.md, "Bots and webhooks").
 */
import { Bot } from "../src/bot/bot.ts";
import { fileState } from "../src/bot/bot-state.ts";

const server = process.env.PARLEY_SERVER ?? "http://127.0.0.1:3000";
const token = process.env.PARLEY_BOT_TOKEN;
if (!token) {
  console.error("echo-bot: set PARLEY_BOT_TOKEN to a bot API token (pb_…)");
  process.exit(2);
}
const statePath = process.env.PARLEY_BOT_STATE ?? "echo-bot.state.json";

const bot = new Bot({
  server: server.split(","),
  token,
  state: fileState(statePath),
  log: (event, detail) => console.error(JSON.stringify({ event, ...detail })),
});

bot
  .command("ping", () => "pong")
  .command("echo", (text) => text)
  .command("roll", (arg) => {
    const sides = Math.min(1_000_000, Math.max(2, Number.parseInt(arg, 10) || 6));
    return String(1 + Math.floor(Math.random() * sides));
  });

const rooms = await bot.start();
console.log(`echo-bot ready in ${rooms.map((r) => r.name).join(", ") || "no rooms"}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    bot.stop().then(() => process.exit(0));
  });
}
