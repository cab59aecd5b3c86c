/**
 * File sharing against a real server: uploads streamed to content-addressed storage, downloads
 * for members only with headers that never let a file run as a page, file messages in rooms, and
 * DM files that reach the server only as ciphertext.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  attachmentText,
  createIdentity,
  decryptFile,
  type Envelope,
  encryptFile,
  type Identity,
  open,
  parseAttachment,
  seal,
  verifyBundle,
} from "../src/crypto/index.ts";
import { dmConversation, type ServerFrameOf } from "../src/protocol/index.ts";
import {
  type Account,
  api,
  connect,
  createRoom,
  joinRoom,
  register,
  type TestSocket,
} from "./support/client.ts";
import {
  type ChildServer,
  spawnServer,
  startTestServer,
  type TestServer,
  tempDir,
} from "./support/server.ts";

type Upload = {
  file: { id: string; room: number; size: number; sha256: string; name?: string; type?: string };
};

async function upload(
  base: string,
  token: string,
  room: number,
  bytes: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>,
  o: { name?: string; type?: string } = {},
): Promise<{ status: number; body: Upload & { code?: string; message?: string } }> {
  const query = o.name === undefined ? "" : `?name=${encodeURIComponent(o.name)}`;
  const res = await fetch(`${base}/api/rooms/${room}/files${query}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      ...(o.type ? { "content-type": o.type } : {}),
    },
    body: bytes,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

function download(base: string, token: string, id: string): Promise<Response> {
  return fetch(`${base}/api/files/${id}`, { headers: { authorization: `Bearer ${token}` } });
}

function bytesOf(n: number, seed = 7): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

/** Every blob file under the files directory (ab/abcdef…), tmp excluded. */
function blobs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => d !== "tmp")
    .flatMap((d) => readdirSync(join(dir, d)).map((f) => join(dir, d, f)));
}

function expectSafeHeaders(res: Response): void {
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
}

let server: TestServer;
let filesDir: string;
beforeAll(async () => {
  server = await startTestServer({ rate: 10_000, burst: 10_000 });
  filesDir = join(server.dir, "files");
  const probe = await fetch(`${server.url}/api/files/AAAAAAAAAAAAAAAAAAAAAA`, {
    headers: { authorization: "Bearer nothing" },
  });
  // Without the wiring the route does not exist, and every test below would fail obscurely.
  if ((await probe.json()).code === "NOT_FOUND") {
    throw new Error("src/server/server.ts does not pass `files` to createHttpApp (see docs)");
  }
});
afterAll(() => server.close());

describe("uploads and downloads in a public room", () => {
  it("round-trips the exact bytes of a 200 KB file (past the 64 KiB body limit) with safe headers", async () => {
    const alice = await register(server.url);
    const bob = await register(server.url);
    const room = await createRoom(server.url, alice.token);
    await joinRoom(server.url, bob.token, room);
    const bytes = bytesOf(200_000);
    const up = await upload(server.url, alice.token, room, bytes, {
      name: "Résumé 2026.pdf",
      type: "application/pdf; charset=binary",
    });
    expect(up.status).toBe(201);
    expect(up.body.file).toMatchObject({
      room,
      size: 200_000,
      name: "Résumé 2026.pdf",
      type: "application/pdf",
    });
    expect(up.body.file.sha256).toBe(new Bun.CryptoHasher("sha256").update(bytes).digest("hex"));

    const res = await download(server.url, bob.token, up.body.file.id);
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    expectSafeHeaders(res);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="R_sum_ 2026.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%202026.pdf`,
    );
  });

  it("serves PNG, JPEG, GIF and WebP inline as themselves, still with nosniff and the CSP", async () => {
    const alice = await register(server.url);
    const room = await createRoom(server.url, alice.token);
    for (const type of ["image/png", "image/jpeg", "image/gif", "image/webp"]) {
      const up = await upload(server.url, alice.token, room, bytesOf(64, type.length), {
        name: "pic",
        type,
      });
      const res = await download(server.url, alice.token, up.body.file.id);
      expect(res.headers.get("content-type")).toBe(type);
      expect(res.headers.get("content-disposition")).toStartWith("inline;");
      expectSafeHeaders(res);
    }
  });

  it("never serves HTML or SVG inline: attachment, octet-stream, nosniff and a sandboxing CSP", async () => {
    const alice = await register(server.url);
    const room = await createRoom(server.url, alice.token);
    const cases = [
      { name: "page.html", type: "text/html", text: "<script>alert(1)</script>" },
      { name: "logo.svg", type: "image/svg+xml", text: "<svg onload='alert(1)'/>" },
    ];
    for (const c of cases) {
      const up = await upload(server.url, alice.token, room, new TextEncoder().encode(c.text), c);
      expect(up.body.file.type).toBe(c.type);
      const res = await download(server.url, alice.token, up.body.file.id);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/octet-stream");
      expect(res.headers.get("content-disposition")).toStartWith("attachment;");
      expectSafeHeaders(res);
      expect(await res.text()).toBe(c.text);
    }
  });

  it("stores the same bytes once, under their sha256, however often they are uploaded", async () => {
    const alice = await register(server.url);
    const bob = await register(server.url);
    const room1 = await createRoom(server.url, alice.token);
    const room2 = await createRoom(server.url, bob.token);
    const bytes = bytesOf(5000, 99);
    const a = await upload(server.url, alice.token, room1, bytes, { name: "a.bin" });
    const b = await upload(server.url, bob.token, room2, bytes, { name: "b.bin" });
    expect(a.body.file.id).not.toBe(b.body.file.id);
    expect(a.body.file.sha256).toBe(b.body.file.sha256);
    const sha = a.body.file.sha256;
    const matching = blobs(filesDir).filter((p) => p.endsWith(sha));
    expect(matching).toEqual([join(filesDir, sha.slice(0, 2), sha)]);
    expect(new Uint8Array(readFileSync(matching[0] as string))).toEqual(bytes);
    // Each upload stays its own: bob cannot fetch alice's copy from a room he is not in.
    expect((await download(server.url, bob.token, a.body.file.id)).status).toBe(403);
  });

  it("refuses non-members with NOT_MEMBER, unknown ids with FILE_NOT_FOUND, and no name with INVALID", async () => {
    const alice = await register(server.url);
    const mallory = await register(server.url);
    const room = await createRoom(server.url, alice.token);
    const up = await upload(server.url, alice.token, room, bytesOf(10), { name: "x" });
    const down = await download(server.url, mallory.token, up.body.file.id);
    expect(down.status).toBe(403);
    expect(await down.json()).toMatchObject({ code: "NOT_MEMBER" });
    const sneak = await upload(server.url, mallory.token, room, bytesOf(10), { name: "x" });
    expect(sneak).toMatchObject({ status: 403, body: { code: "NOT_MEMBER" } });
    const missing = await download(server.url, alice.token, "AAAAAAAAAAAAAAAAAAAAAA");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: "FILE_NOT_FOUND" });
    const nameless = await upload(server.url, alice.token, room, bytesOf(10));
    expect(nameless).toMatchObject({ status: 400, body: { code: "INVALID" } });
    const bad = await upload(server.url, alice.token, room, bytesOf(10), { name: "a/../b" });
    expect(bad).toMatchObject({ status: 400, body: { code: "INVALID" } });
    const anonymous = await fetch(`${server.url}/api/files/${up.body.file.id}`);
    expect(anonymous.status).toBe(401);
  });
});

describe("the upload limit", () => {
  let small: TestServer;
  beforeAll(async () => {
    small = await startTestServer({ maxUploadBytes: 100_000 });
  });
  afterAll(() => small.close());

  it("is announced in hello.limits.maxUploadBytes, so clients can refuse a larger file first", async () => {
    const account = await register(small.url);
    const socket = await connect(small.wsUrl, account.token);
    expect((await socket.opened).limits.maxUploadBytes).toBe(100_000);
    socket.close();
  });

  it("refuses a declared oversize upload with FILE_TOO_LARGE, and a streamed one too, storing nothing", async () => {
    const alice = await register(small.url);
    const room = await createRoom(small.url, alice.token);
    const dir = join(small.dir, "files");

    const declared = await upload(small.url, alice.token, room, bytesOf(100_001), { name: "big" });
    expect(declared).toMatchObject({ status: 413, body: { code: "FILE_TOO_LARGE" } });

    // No Content-Length: the server counts while streaming and stops at the limit.
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 1_000_000) return controller.close();
        sent += 16_384;
        controller.enqueue(bytesOf(16_384, sent));
      },
    });
    const streamed = await upload(small.url, alice.token, room, stream, { name: "big" });
    expect(streamed).toMatchObject({ status: 413, body: { code: "FILE_TOO_LARGE" } });

    expect(blobs(dir)).toEqual([]);
    expect(existsSync(join(dir, "tmp")) ? readdirSync(join(dir, "tmp")) : []).toEqual([]);
    const rooms = await api<{ messages: unknown[] }>(
      small.url,
      "GET",
      `/api/rooms/${room}/messages`,
      undefined,
      alice.token,
    );
    expect(rooms.body.messages).toEqual([]);

    // Exactly the limit is fine.
    const fits = await upload(small.url, alice.token, room, bytesOf(100_000), { name: "ok" });
    expect(fits.status).toBe(201);
  });
});

describe("the default upload limit, in a server process of its own", () => {
  const dir = tempDir();
  let child: ChildServer;
  beforeAll(async () => {
    child = await spawnServer({ db: join(dir.path, "parley.db") });
  });
  afterAll(async () => {
    await child?.stop();
    dir.remove();
  });

  it("refuses an endless streamed upload with FILE_TOO_LARGE once it passes 25 MiB", async () => {
    const alice = await register(child.url);
    const room = await createRoom(child.url, alice.token);
    const chunk = new Uint8Array(1 << 20);
    let sent = 0;
    // Never ends: only a server that counts while streaming, and stops, ever answers. Bun reads
    // ahead of the handler, so its own request cap must sit well above the limit, or its plain
    // 413 (no code) wins the race.
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await upload(child.url, alice.token, room, endless, { name: "endless" });
    expect(res).toMatchObject({ status: 413, body: { code: "FILE_TOO_LARGE" } });
    expect(sent).toBeGreaterThan(25 * 1024 * 1024);
    expect(blobs(join(dir.path, "files"))).toEqual([]);
  });
});

describe("file messages", () => {
  it("delivers a room message with its file reference, idempotently by cid", async () => {
    const alice = await register(server.url);
    const bob = await register(server.url);
    const room = await createRoom(server.url, alice.token);
    await joinRoom(server.url, bob.token, room);
    const up = await upload(server.url, alice.token, room, bytesOf(1234), {
      name: "notes.txt",
      type: "text/plain",
    });
    const aliceWs = await connect(server.wsUrl, alice.token);
    const bobWs = await connect(server.wsUrl, bob.token);
    try {
      await aliceWs.request({ type: "join", room });
      await bobWs.request({ type: "join", room });
      const file = { id: up.body.file.id, name: "notes.txt", size: 1234, type: "text/plain" };
      const ack = await aliceWs.request({ type: "send", room, cid: "f-1", file: file.id });
      expect(ack).toMatchObject({ type: "ack", duplicate: false });
      const [msg] = await bobWs.waitForMessages(room, 1);
      expect(msg).toMatchObject({ body: "", file, from: { id: alice.user.id } });

      const again = await aliceWs.request({ type: "send", room, cid: "f-1", file: file.id });
      expect(again).toMatchObject({
        type: "ack",
        duplicate: true,
        seq: (ack as { seq: number }).seq,
      });
      const captioned = await aliceWs.request({
        type: "send",
        room,
        cid: "f-2",
        file: file.id,
        body: "the notes",
      });
      expect(captioned).toMatchObject({ type: "ack" });
      const history = await api<{ messages: { body: string; file?: unknown }[] }>(
        server.url,
        "GET",
        `/api/rooms/${room}/messages`,
        undefined,
        bob.token,
      );
      expect(history.body.messages).toMatchObject([
        { body: "", file },
        { body: "the notes", file },
      ]);
    } finally {
      aliceWs.close();
      bobWs.close();
    }
  });

  it("refuses a file id that this user did not upload to this room with FILE_NOT_FOUND", async () => {
    const alice = await register(server.url);
    const bob = await register(server.url);
    const room = await createRoom(server.url, alice.token);
    const other = await createRoom(server.url, alice.token);
    await joinRoom(server.url, bob.token, room);
    const inOther = await upload(server.url, alice.token, other, bytesOf(9), { name: "o" });
    const alices = await upload(server.url, alice.token, room, bytesOf(9), { name: "a" });
    const bobWs = await connect(server.wsUrl, bob.token);
    const aliceWs = await connect(server.wsUrl, alice.token);
    try {
      const stolen = await bobWs.request({
        type: "send",
        room,
        cid: "s1",
        file: alices.body.file.id,
      });
      expect(stolen).toMatchObject({ type: "error", code: "FILE_NOT_FOUND" });
      const moved = await aliceWs.request({
        type: "send",
        room,
        cid: "s2",
        file: inOther.body.file.id,
      });
      expect(moved).toMatchObject({ type: "error", code: "FILE_NOT_FOUND" });
      const both = await aliceWs.request({
        type: "send",
        room,
        cid: "s3",
        file: alices.body.file.id,
        envelope: {} as Envelope,
      });
      expect(both).toMatchObject({ type: "error", code: "INVALID" });
      const head = await api<{ messages: unknown[] }>(
        server.url,
        "GET",
        `/api/rooms/${room}/messages`,
        undefined,
        alice.token,
      );
      expect(head.body.messages).toEqual([]);
    } finally {
      bobWs.close();
      aliceWs.close();
    }
  });
});

describe("files in DMs", () => {
  interface Person {
    account: Account;
    ws: TestSocket;
    device: Identity;
  }
  async function person(): Promise<Person> {
    const account = await register(server.url);
    const ws = await connect(server.wsUrl, account.token);
    const device = await createIdentity({ user: String(account.user.id) });
    await ws.request({ type: "device", bundle: device.bundle });
    return { account, ws, device };
  }
  async function bundlesOf(ws: TestSocket, ...users: number[]) {
    const reply = await ws.request<ServerFrameOf<"devices">>({ type: "devices", users });
    const out = [];
    for (const u of reply.users) {
      for (const b of u.devices) {
        const check = await verifyBundle(b, { user: String(u.user.id) });
        if (check.ok) out.push(check.bundle);
      }
    }
    return out;
  }

  it("stores only ciphertext and no name or type; the key in the sealed envelope decrypts it", async () => {
    const alice = await person();
    const bob = await person();
    const outsider = await register(server.url);
    try {
      const dm = await alice.ws.request<ServerFrameOf<"dm">>({
        type: "dm",
        user: bob.account.user.name,
      });
      const room = dm.room.id;
      const plain = new TextEncoder().encode("TOP SECRET PLAN: ".repeat(500));
      const sealed = await encryptFile(plain);

      const named = await upload(server.url, alice.account.token, room, sealed.ciphertext, {
        name: "plan.txt",
      });
      expect(named).toMatchObject({ status: 400, body: { code: "INVALID" } });
      const up = await upload(server.url, alice.account.token, room, sealed.ciphertext, {
        type: "text/plain",
      });
      expect(up.status).toBe(201);
      expect(up.body.file.name).toBeUndefined();
      expect(up.body.file.type).toBeUndefined();
      expect(up.body.file.size).toBe(plain.length + 16);

      const stored = readFileSync(
        join(filesDir, up.body.file.sha256.slice(0, 2), up.body.file.sha256),
      );
      expect(stored.includes(Buffer.from("TOP SECRET"))).toBe(false);
      expect(stored.length).toBe(plain.length + 16);

      // The descriptor goes sealed; a file id in a DM send is refused.
      const refused = await alice.ws.request({
        type: "send",
        room,
        cid: "x",
        file: up.body.file.id,
      });
      expect(refused).toMatchObject({ type: "error", code: "INVALID" });
      const text = attachmentText({
        id: up.body.file.id,
        name: "plan.txt",
        type: "text/plain",
        size: plain.length,
        sha256: sealed.sha256,
        key: sealed.key,
        iv: sealed.iv,
      });
      const cid = crypto.randomUUID();
      const envelope = await seal({
        from: alice.device,
        conversation: dmConversation(room),
        text,
        id: cid,
        to: await bundlesOf(alice.ws, bob.account.user.id, alice.account.user.id),
      });
      expect(await alice.ws.request({ type: "send", room, cid, envelope })).toMatchObject({
        type: "ack",
      });

      await bob.ws.request({ type: "dm", user: alice.account.user.name });
      const msg = (await bob.ws.waitFor(
        (f) => f.type === "msg" && f.room === room,
      )) as ServerFrameOf<"msg">;
      expect(msg.file).toBeUndefined();
      const opened = await open(msg.envelope as Envelope, {
        me: bob.device,
        conversation: dmConversation(room),
        senders: await bundlesOf(bob.ws, alice.account.user.id),
      });
      if (opened.outcome !== "opened") throw new Error(`not opened: ${opened.outcome}`);
      const attachment = parseAttachment(opened.text);
      expect(attachment).toMatchObject({ id: up.body.file.id, name: "plan.txt" });

      const res = await download(server.url, bob.account.token, up.body.file.id);
      expect(res.headers.get("content-type")).toBe("application/octet-stream");
      expect(res.headers.get("content-disposition")).toStartWith("attachment;");
      expectSafeHeaders(res);
      const decrypted = await decryptFile(
        new Uint8Array(await res.arrayBuffer()),
        attachment as never,
      );
      expect(decrypted).toEqual({ ok: true, bytes: plain });

      // Someone outside the DM is told it does not exist, like everywhere else.
      const theirs = await download(server.url, outsider.token, up.body.file.id);
      expect(theirs.status).toBe(404);
      expect(await theirs.json()).toMatchObject({ code: "ROOM_NOT_FOUND" });
      const into = await upload(server.url, outsider.token, room, bytesOf(5));
      expect(into).toMatchObject({ status: 404, body: { code: "ROOM_NOT_FOUND" } });
    } finally {
      alice.ws.close();
      bob.ws.close();
    }
  });
});
