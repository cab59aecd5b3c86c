#!/usr/bin/env bun
/**
 * `bun run db:seed [--db PATH]`: demo users, rooms and a conversation, for trying Parley out.
 * Running it again changes nothing: existing demo users and rooms are left as they are.
 */
import { hashPassword } from "../src/server/auth.ts";
import { dbPathFrom } from "./cli.ts";
import { SqliteStore } from "./store-sqlite.ts";

const PASSWORD = "parley-demo";
const USERS = ["alice", "bob", "carol", "dave"];
const ROOMS = [
  { name: "general", topic: "Anything goes" },
  { name: "random", topic: "Off topic" },
  { name: "help", topic: "Ask about Parley" },
];
const CONVERSATION: [string, string][] = [
  ["alice", "Welcome to Parley! 👋"],
  ["bob", "Hi Alice. Is this thing on?"],
  ["carol", "Loud and clear. Try /help in the terminal client."],
  ["dave", "Messages survive a crash, so say something worth keeping."],
  ["alice", "Reconnect any time: you catch up on exactly what you missed."],
];

const path = dbPathFrom(process.argv.slice(2), process.env);
const store = new SqliteStore(path);
try {
  const now = Date.now();
  const hash = await hashPassword(PASSWORD);
  const users = new Map<string, number>();
  for (const name of USERS) {
    const created = await store.createUser(name, hash, now);
    const user = created === "taken" ? await store.findUser(name) : created;
    if (user) users.set(name, user.id);
  }
  const owner = users.get("alice") as number;
  for (const { name, topic } of ROOMS) {
    const created = await store.createRoom(name, topic, owner, now);
    const room = created === "taken" ? await store.findRoomByName(name) : created;
    if (!room) continue;
    for (const id of users.values()) await store.addMember(room.id, id, now);
    if (created === "taken" || name !== "general") continue;
    await store.append(
      CONVERSATION.map(([from, body], i) => ({
        room: room.id,
        sender: { id: users.get(from) as number, name: from },
        cid: `seed-${i}`,
        body,
        ts: now + i,
      })),
    );
  }
  console.log(`Seeded ${path}.`);
  console.log(`Demo logins (password "${PASSWORD}"): ${USERS.join(", ")}`);
  console.log(`Rooms: ${ROOMS.map((r) => r.name).join(", ")}`);
} finally {
  await store.close();
}
