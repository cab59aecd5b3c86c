/**
 * Mention counts on a real server: the room list gives a room's unread mentions of the caller
 * next to its unread count.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { messageEventsSuite, pair, send, server } from "./support/message-events.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

messageEventsSuite();

describe("mention counts", () => {
  it("lists a room's unread mentions of the caller next to its unread count", async () => {
    const { room, a, bob } = await pair();
    await send(a, room, `hello @${bob.user.name}`);
    await send(a, room, "no one");
    const listed = await fetch(`${server?.url}/api/rooms`, {
      headers: { authorization: `Bearer ${bob.token}` },
    });
    const rooms = (
      (await listed.json()) as { rooms: { id: number; unread: number; mentions?: number }[] }
    ).rooms;
    expect(rooms.find((r) => r.id === room)).toMatchObject({ unread: 2, mentions: 1 });
  });
});
