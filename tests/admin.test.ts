/**
 * Running a server, with real processes: `parley-server admin …` on the store of a running
 * server, the first admin, registration modes, disabling (sockets closed), account deletion,
 * and the admin HTTP API with its audit log.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import type { RoomSummary } from "../src/protocol/index.ts";
import { type Account, api, connect, register, unique } from "./support/client.ts";
import { type ChildServer, ROOT, spawnServer, tempDir } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const scratch = tempDir("parley-admin-");
const db = join(scratch.path, "parley.db");
let server: ChildServer;

/** Runs `parley-server admin ARGS --db DB`; its exit code and output. */
async function adminCommand(...args: string[]) {
  const proc = Bun.spawn(
    [
      process.execPath,
      join(ROOT, "server.ts"),
      "admin",
      ...args,
      "--db",
      db,
      "--password-cost",
      "minimal",
    ],
    { stdout: "pipe", stderr: "pipe", stdin: "ignore" },
  );
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, out: out.trim(), err: err.trim() };
}

function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  token?: string,
  body?: unknown,
) {
  return api<T & { code?: string }>(server.url, method, path, body, token);
}

async function login(username: string, password: string) {
  return call<Account>("POST", "/api/login", undefined, { username, password });
}

beforeAll(async () => {
  server = await spawnServer({ db, extraArgs: ["--registration", "closed"] });
});
afterAll(async () => {
  await server.kill();
  scratch.remove();
});

describe("parley-server admin and registration modes", () => {
  let root: Account;

  it("refuses registration when closed; the admin command creates the first admin", async () => {
    const refused = await call("POST", "/api/register", undefined, {
      username: unique("x"),
      password: "correct horse",
    });
    expect(refused.body.code).toBe("REGISTRATION_CLOSED");
    const made = await adminCommand("create-user", "root", "--password", "root password");
    expect(made).toMatchObject({ code: 0 });
    expect((await adminCommand("promote", "root")).out).toBe("root is an admin");
    const res = await login("root", "root password");
    expect(res.status).toBe(200);
    root = res.body;
    const users = await call<{ users: { name: string; admin: boolean }[] }>(
      "GET",
      "/api/admin/users",
      root.token,
    );
    expect(users.body.users).toContainEqual(expect.objectContaining({ name: "root", admin: true }));
    expect((await adminCommand("list-users")).out).toContain("root\tadmin");
  });

  it("switches a running server to invite-only: a code registers once, then INVITE_NOT_FOUND", async () => {
    expect((await adminCommand("registration", "invite")).out).toBe("registration: invite");
    const without = await call("POST", "/api/register", undefined, {
      username: unique("x"),
      password: "correct horse",
    });
    expect(without.body.code).toBe("INVITE_NOT_FOUND");
    const { out: code } = await adminCommand("invite", "--uses", "1");
    const first = await call("POST", "/api/register", undefined, {
      username: unique("inv"),
      password: "correct horse",
      invite: code,
    });
    expect(first.status).toBe(201);
    const again = await call("POST", "/api/register", undefined, {
      username: unique("inv"),
      password: "correct horse",
      invite: code,
    });
    expect(again.body.code).toBe("INVITE_NOT_FOUND");
    // Over HTTP too, by an admin.
    const made = await call<{ invite: { code: string } }>(
      "POST",
      "/api/admin/invites",
      root.token,
      {
        uses: 2,
      },
    );
    expect(made.status).toBe(201);
    const second = await call("POST", "/api/register", undefined, {
      username: unique("inv"),
      password: "correct horse",
      invite: made.body.invite.code,
    });
    expect(second.status).toBe(201);
  });

  it("opens registration again, by the admin API", async () => {
    expect(
      (await call("PUT", "/api/admin/registration", root.token, { mode: "open" })).status,
    ).toBe(204);
    expect((await call("GET", "/api/admin/registration", root.token)).body).toEqual({
      mode: "open",
    });
    expect((await register(server.url)).token).toBeString();
  });

  it("refuses admin routes to a non-admin with NOT_ADMIN", async () => {
    const bob = await register(server.url);
    for (const [method, path] of [
      ["GET", "/api/admin/users"],
      ["GET", "/api/admin/rooms"],
      ["GET", "/api/admin/audit"],
      ["PUT", "/api/admin/registration"],
    ] as const) {
      const res = await call(
        method,
        path,
        bob.token,
        method === "PUT" ? { mode: "open" } : undefined,
      );
      expect([path, res.body.code]).toEqual([path, "NOT_ADMIN"]);
    }
  });

  it("disables from the command: the user's open socket closes, login says ACCOUNT_DISABLED; enable undoes it", async () => {
    const carol = await register(server.url);
    const ws = await connect(server.wsUrl, carol.token);
    expect((await adminCommand("disable", carol.user.name, "--reason", "spam")).code).toBe(0);
    // No bus reaches the command: the node's session check closes the socket within seconds.
    expect((await ws.closed).code).toBe(4500);
    expect((await call("GET", "/api/me", carol.token)).body.code).toBe("UNAUTHENTICATED");
    expect((await login(carol.user.name, "correct horse")).body.code).toBe("ACCOUNT_DISABLED");
    expect((await adminCommand("enable", carol.user.name)).code).toBe(0);
    expect((await login(carol.user.name, "correct horse")).status).toBe(200);
  });

  it("disables over the admin API, closing the socket at once", async () => {
    const dave = await register(server.url);
    const ws = await connect(server.wsUrl, dave.token);
    const res = await call("POST", `/api/admin/users/${dave.user.name}/disable`, root.token, {
      reason: "abuse",
    });
    expect(res.status).toBe(204);
    expect((await ws.closed).code).toBe(4500);
    const audit = await call<{
      entries: { action: string; target?: { name: string }; reason: string }[];
    }>("GET", "/api/admin/audit", root.token);
    expect(audit.body.entries[0]).toMatchObject({
      action: "user_disable",
      target: { name: dave.user.name },
      reason: "abuse",
    });
  });

  it("deletes one's own account after the password: messages stay under deleted-ID", async () => {
    const erin = await register(server.url);
    const other = await register(server.url);
    const r = await call<{ room: RoomSummary }>("POST", "/api/rooms", erin.token, {
      name: unique("d"),
    });
    await call("POST", `/api/rooms/${r.body.room.id}/join`, other.token);
    const watcher = await connect(server.wsUrl, other.token);
    await watcher.request({ type: "join", room: r.body.room.id });
    const ws = await connect(server.wsUrl, erin.token);
    await ws.request({ type: "join", room: r.body.room.id });
    await ws.request({ type: "send", room: r.body.room.id, cid: "c1", body: "remember me" });
    const wrong = await call("DELETE", "/api/account", erin.token, { password: "not it at all" });
    expect(wrong.body.code).toBe("WRONG_PASSWORD");
    expect(
      (await call("DELETE", "/api/account", erin.token, { password: "correct horse" })).status,
    ).toBe(204);
    expect((await ws.closed).code).toBe(4500);
    expect((await call("GET", "/api/me", erin.token)).body.code).toBe("UNAUTHENTICATED");
    const page = await call<{ messages: { body: string; from: { name: string } }[] }>(
      "GET",
      `/api/rooms/${r.body.room.id}/messages`,
      other.token,
    );
    expect(page.body.messages.map((m) => [m.from.name, m.body])).toEqual([
      [`deleted-${erin.user.id}`, "remember me"],
    ]);
    // The room's members see that the account left, in the timeline, live.
    const left = await watcher.waitFor((f) => f.type === "event" && f.kind === "leave", 5000);
    expect(left).toMatchObject({
      room: r.body.room.id,
      from: { id: erin.user.id, name: `deleted-${erin.user.id}` },
      body: "account deleted",
    });
    watcher.ws.close();
    // The name is free again.
    expect((await register(server.url, erin.user.name)).user.name).toBe(erin.user.name);
  });

  it("lets an admin read any room's audit log and delete any room, private ones included", async () => {
    const owner = await register(server.url);
    const r = await call<{ room: RoomSummary }>("POST", "/api/rooms", owner.token, {
      name: unique("p"),
      visibility: "private",
    });
    const id = r.body.room.id;
    await call("PUT", `/api/rooms/${id}/topic`, owner.token, { topic: "t" });
    const log = await call<{ entries: { action: string }[] }>(
      "GET",
      `/api/rooms/${id}/audit`,
      root.token,
    );
    expect(log.body.entries.map((e) => e.action)).toEqual(["topic"]);
    expect((await call("DELETE", `/api/admin/rooms/${id}`, root.token)).status).toBe(204);
    expect((await call("GET", `/api/rooms/${id}/messages`, owner.token)).body.code).toBe(
      "ROOM_NOT_FOUND",
    );
    expect((await adminCommand("audit", "--limit", "5")).out).toContain("delete_room");
  });
});
