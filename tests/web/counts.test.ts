/**
 * The browser's unread and mention counts for a room not on screen: a mention is a whole @name
 * (an address or a longer name is none), and a message deleted while unread leaves both counts
 * live, as the server's counts leave it out (store contract tests).
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import type { ServerFrameOf } from "../../src/protocol/index.ts";
import { api, connect, register, unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import {
  browserSuite,
  chromiumGate,
  createRoomInPage,
  openPage,
  registerInPage,
} from "./browser.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();

type Ack = ServerFrameOf<"ack">;

describe.skipIf(gate.skip)("the browser's unread and mention counts", () => {
  const web = browserSuite("counts");

  it("counts only whole @name mentions, and takes a deleted unread message off both counts", async () => {
    const url = web.server.url;
    const c = await web.context({ viewport: { width: 1280, height: 900 } });
    const { page, errors } = await openPage(c, url);
    const me = unique("alice");
    const room = unique("club");
    await registerInPage(page, me);
    await createRoomInPage(page, room);
    const bob = await register(url);
    const found = await api<{ rooms: { id: number }[] }>(
      url,
      "GET",
      `/api/rooms?name=${room}`,
      undefined,
      bob.token,
    );
    const roomId = found.body.rooms[0]?.id as number;
    await api(url, "POST", `/api/rooms/${roomId}/join`, undefined, bob.token);
    const b = await connect(web.server.wsUrl, bob.token);
    await b.request({ type: "join", room: roomId });
    const say = (body: string) =>
      b.request<Ack>({ type: "send", room: roomId, cid: unique("c"), body } as never);
    const remove = (target: number) =>
      b.request({ type: "event", room: roomId, cid: unique("e"), kind: "delete", target } as never);

    // Another room on screen: the club's messages are unread.
    await createRoomInPage(page, unique("other"));
    const entry = page.locator(`button.conversation[data-room="${roomId}"]`);
    const address = await say(`write to foo@${me}.com or @${me}x`);
    await entry.locator(".badge", { hasText: "1" }).waitFor();
    expect(await entry.locator(".mention-count").count()).toBe(0);
    const mention = await say(`@${me} look`);
    await entry.locator(".badge", { hasText: "2" }).waitFor();
    await entry.locator(".mention-count", { hasText: "@1" }).waitFor();

    // Deleted while unread: off the unread count, and off the mentions.
    await remove(mention.seq);
    await entry.locator(".badge", { hasText: "1" }).waitFor();
    await expectGone(entry.locator(".mention-count"));
    await remove(address.seq);
    await expectGone(entry.locator(".badge"));

    // Counting goes on from there.
    await say("one more");
    await entry.locator(".badge", { hasText: "1" }).waitFor();
    await b.close();
    expect(errors).toEqual([]);
  });
});

async function expectGone(locator: { count(): Promise<number> }): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await locator.count()) > 0) {
    if (Date.now() > deadline) throw new Error("still shown");
    await Bun.sleep(50);
  }
}
