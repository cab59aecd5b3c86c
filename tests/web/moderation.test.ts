/**
 * Communities in the browser, as a person does it: creating a private room, opening its member
 * panel, making a member a moderator, kicking someone, making an invite code, and leaving.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import type { RoomSummary } from "../../src/protocol/index.ts";
import { api, connect, register, unique } from "../support/client.ts";
import { ROOT } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { browserSuite, chromiumGate, eventually, openAs } from "./browser.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();

describe.skipIf(gate.skip)("moderation in the browser", () => {
  const web = browserSuite("moderation");

  it("creates a private room, ops and kicks from the member panel, makes an invite code and leaves", async () => {
    const alice = await register(web.server.url, unique("al"));
    const bob = await register(web.server.url, unique("bo"));
    const carol = await register(web.server.url, unique("ca"));
    const context = await web.context({ viewport: { width: 1440, height: 900 } });
    const { page, errors } = await openAs(context, web.server.url, alice);
    const name = unique("priv");

    await page.getByRole("button", { name: "Create or join a room" }).click();
    await page.getByLabel("Room name").fill(name);
    await page.getByLabel(/Private/).check();
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByRole("heading", { name: `#${name}` }).waitFor();
    const rooms = await api<{ rooms: RoomSummary[] }>(
      web.server.url,
      "GET",
      "/api/rooms",
      undefined,
      carol.token,
    );
    expect(rooms.body.rooms.some((r) => r.name === name)).toBe(false);
    const mine = await api<{ rooms: RoomSummary[] }>(
      web.server.url,
      "GET",
      "/api/rooms",
      undefined,
      alice.token,
    );
    const room = mine.body.rooms.find((r) => r.name === name) as RoomSummary;
    expect(room.visibility).toBe("private");

    // Bob and carol come in by invite codes made from the panel.
    await page.getByRole("button", { name: "Members" }).click();
    const panel = page.locator("dialog.member-panel");
    await panel.getByRole("button", { name: "Invite code" }).click();
    await eventually(async () =>
      expect((await panel.locator("output.invite-code").textContent())?.length).toBe(22),
    );
    const code = (await panel.locator("output.invite-code").textContent()) as string;
    expect(
      (await api(web.server.url, "POST", `/api/invites/${code}/accept`, undefined, bob.token))
        .status,
    ).toBe(200);
    await panel.getByRole("button", { name: "Invite code" }).click();
    await eventually(async () =>
      expect(await panel.locator("output.invite-code").textContent()).not.toBe(code),
    );
    const code2 = (await panel.locator("output.invite-code").textContent()) as string;
    expect(
      (await api(web.server.url, "POST", `/api/invites/${code2}/accept`, undefined, carol.token))
        .status,
    ).toBe(200);

    await page.getByRole("button", { name: "Close" }).last().click();
    await page.getByRole("button", { name: "Members" }).click();
    await panel.getByRole("button", { name: `Make moderator ${bob.user.name}` }).click();
    await panel.locator("li", { hasText: `${bob.user.name} (offline · moderator)` }).waitFor();

    const carolWs = await connect(web.server.wsUrl, carol.token);
    await carolWs.request({ type: "join", room: room.id });
    // Carol has the room open in her browser too: a kick takes it from her list at once.
    const carolContext = await web.context({ viewport: { width: 1440, height: 900 } });
    const carolPage = (await openAs(carolContext, web.server.url, carol)).page;
    const carolsRoom = carolPage.locator("ul.conversations li", { hasText: name });
    await carolsRoom.waitFor();
    await panel.getByRole("button", { name: `Kick ${carol.user.name}` }).click();
    expect(await carolWs.waitFor((f) => f.type === "removed")).toMatchObject({ reason: "kicked" });
    await eventually(async () => expect(await carolsRoom.count()).toBe(0));
    await carolContext.close();
    await eventually(async () =>
      expect(await panel.locator("li", { hasText: carol.user.name }).count()).toBe(0),
    );

    // The only owner may not leave while bob stays: LAST_OWNER, shown in the panel.
    await panel.getByRole("button", { name: "Leave room" }).click();
    await panel.getByRole("alert").filter({ hasText: "hand ownership" }).waitFor();
    await api(
      web.server.url,
      "POST",
      `/api/rooms/${room.id}/moderation`,
      { action: "transfer", user: bob.user.name },
      alice.token,
    );
    // Leaving once bob owns it: the room goes from the sidebar's list.
    await panel.getByRole("button", { name: "Leave room" }).click();
    await eventually(async () =>
      expect(await page.locator("ul.conversations li", { hasText: name }).count()).toBe(0),
    );
    const members = await api<{ members: { name: string }[] }>(
      web.server.url,
      "GET",
      `/api/rooms/${room.id}/members`,
      undefined,
      bob.token,
    );
    expect(members.body.members.map((m) => m.name)).toEqual([bob.user.name]);
    expect(errors).toEqual([]);
    carolWs.ws.close();
    await context.close();
  });

  it("lets the owner rename and archive a room from the member panel, and shows a member neither", async () => {
    const owner = await register(web.server.url, unique("ow"));
    const bob = await register(web.server.url, unique("bo"));
    const name = unique("life");
    const made = await api<{ room: RoomSummary }>(
      web.server.url,
      "POST",
      "/api/rooms",
      { name },
      owner.token,
    );
    const room = made.body.room;
    await api(web.server.url, "POST", `/api/rooms/${room.id}/join`, undefined, bob.token);

    // Bob, a member, gets no lifecycle tools.
    const bobContext = await web.context({ viewport: { width: 1440, height: 900 } });
    const bobPage = (await openAs(bobContext, web.server.url, bob)).page;
    await bobPage.locator("ul.conversations li", { hasText: name }).click();
    await bobPage.getByRole("button", { name: "Members" }).click();
    await bobPage.locator("dialog.member-panel li", { hasText: owner.user.name }).waitFor();
    expect(await bobPage.getByRole("button", { name: "Rename room" }).count()).toBe(0);
    expect(await bobPage.getByRole("button", { name: "Archive room" }).count()).toBe(0);
    await bobContext.close();

    const context = await web.context({ viewport: { width: 1440, height: 900 } });
    const { page, errors } = await openAs(context, web.server.url, owner);
    await page.locator("ul.conversations li", { hasText: name }).click();
    await page.getByRole("button", { name: "Members" }).click();
    const panel = page.locator("dialog.member-panel");
    const renamed = unique("renamed");
    await panel.getByLabel("New room name").fill(renamed);
    await panel.getByRole("button", { name: "Rename room" }).click();
    await panel.getByRole("heading", { name: `Members of #${renamed}` }).waitFor();
    await page.locator("ul.conversations li", { hasText: renamed }).waitFor();

    const bobWs = await connect(web.server.wsUrl, bob.token);
    await bobWs.request({ type: "join", room: room.id });
    page.once("dialog", (d) => void d.accept());
    await panel.getByRole("button", { name: "Archive room" }).click();
    await bobWs.waitFor((f) => f.type === "event" && f.kind === "archive");
    const refused = await bobWs.request({
      type: "send",
      room: room.id,
      cid: unique("c"),
      body: "x",
    });
    expect(refused).toMatchObject({ type: "error", code: "ROOM_ARCHIVED" });
    expect(errors).toEqual([]);
    bobWs.ws.close();
    await context.close();
  });

  it("shows an invitation by name live; Accept joins the private room, Decline ends another", async () => {
    const owner = await register(web.server.url, unique("ow"));
    const guest = await register(web.server.url, unique("gu"));
    const mk = async () =>
      (
        await api<{ room: RoomSummary }>(
          web.server.url,
          "POST",
          "/api/rooms",
          { name: unique("inv"), visibility: "private" },
          owner.token,
        )
      ).body.room;
    const [first, second] = [await mk(), await mk()];
    const context = await web.context({ viewport: { width: 1440, height: 900 } });
    const { page, errors } = await openAs(context, web.server.url, guest);
    for (const r of [first, second]) {
      const res = await api(
        web.server.url,
        "POST",
        `/api/rooms/${r.id}/invitations`,
        { user: guest.user.name },
        owner.token,
      );
      expect(res.status).toBe(204);
    }
    await page.getByRole("button", { name: "Invitations (2)" }).click();
    const panel = page.locator("dialog.invitations-panel");
    await panel.getByRole("button", { name: `Decline #${second.name}` }).click();
    await panel.getByRole("button", { name: `Accept #${first.name}` }).click();
    await page.locator("ul.conversations li", { hasText: first.name }).waitFor();
    expect(await page.locator("ul.conversations li", { hasText: second.name }).count()).toBe(0);
    const listed = await api<{ invites: unknown[] }>(
      web.server.url,
      "GET",
      "/api/invitations",
      undefined,
      guest.token,
    );
    expect(listed.body.invites).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows admins an admin page that disables an account and sets registration", async () => {
    const root = await register(web.server.url, unique("root"));
    const bob = await register(web.server.url, unique("bo"));
    const promote = Bun.spawn(
      [
        process.execPath,
        join(ROOT, "server.ts"),
        "admin",
        "promote",
        root.user.name,
        "--db",
        join(web.dir.path, "moderation.db"),
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    expect(await promote.exited).toBe(0);
    const bobWs = await connect(web.server.wsUrl, bob.token);
    const context = await web.context({ viewport: { width: 1440, height: 900 } });
    const { page, errors } = await openAs(context, web.server.url, root);
    await page.getByRole("button", { name: "Admin" }).click();
    const admin = page.locator("dialog.admin-page");
    await admin.getByRole("button", { name: `Disable ${bob.user.name}` }).click();
    expect((await bobWs.closed).code).toBe(4500);
    await admin.getByRole("button", { name: `Enable ${bob.user.name}` }).click();
    await admin.getByRole("button", { name: `Disable ${bob.user.name}` }).waitFor();
    await admin.getByLabel("Registration").selectOption("closed");
    await eventually(async () => {
      const mode = await api<{ mode: string }>(
        web.server.url,
        "GET",
        "/api/admin/registration",
        undefined,
        root.token,
      );
      expect(mode.body.mode).toBe("closed");
    });
    await admin.locator("li", { hasText: "user_disable" }).first().waitFor();
    // Someone who is not an admin never sees the button.
    const other = await web.context({ viewport: { width: 1440, height: 900 } });
    const plain = await openAs(
      other,
      web.server.url,
      await api<{ token: string; user: { id: number; name: string } }>(
        web.server.url,
        "POST",
        "/api/login",
        { username: bob.user.name, password: "correct horse" },
      ).then((r) => r.body),
    );
    await Bun.sleep(500);
    expect(await plain.page.getByRole("button", { name: "Admin" }).isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await context.close();
    await other.close();
  });
});
