/**
 * Login throttling under concurrency: guesses arriving at once from many loopback source
 * addresses (127.x.y.z), the owner's own address, and a flood of strangers' logins.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { request } from "node:http";
import { ACCOUNT_FREE_FAILURES } from "../src/server/login-throttle.ts";
import { register, unique } from "./support/client.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ loginBurst: 20 });
});
afterAll(() => server.close());

/** POST /api/login from a chosen loopback source address; resolves with the error code or "OK". */
function loginFrom(base: string, from: string, username: string, password: string) {
  const url = new URL(base);
  const body = JSON.stringify({ username, password });
  return new Promise<string>((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: "/api/login",
        method: "POST",
        localAddress: from,
        agent: false,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          text += chunk;
        });
        res.on("end", () => {
          resolve(res.statusCode === 200 ? "OK" : (JSON.parse(text) as { code: string }).code);
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Sixty wrong guesses at once, two from each of 30 loopback addresses. */
function guessFlood(name: string): Promise<string[]> {
  const guesses: Promise<string>[] = [];
  for (let i = 0; i < 60; i++) {
    guesses.push(loginFrom(server.url, `127.3.${Math.floor(i / 2)}.9`, name, `wrong guess ${i}`));
  }
  return Promise.all(guesses);
}

describe("login throttle", () => {
  it("checks at most the free failures of an account when sixty guesses arrive at once", async () => {
    const account = await register(server.url, unique("target"), "correct horse");
    const codes = await guessFlood(account.user.name);
    const checked = codes.filter((c) => c === "INVALID_CREDENTIALS").length;
    expect(checked).toBeLessThanOrEqual(ACCOUNT_FREE_FAILURES);
    expect(codes.filter((c) => c === "THROTTLED").length).toBe(60 - checked);
    // The right password from yet another stranger's address is refused too: no oracle.
    expect(await loginFrom(server.url, "127.3.200.9", account.user.name, "correct horse")).toBe(
      "THROTTLED",
    );
  });

  it("lets the owner in from an address they logged in from before, while strangers guess", async () => {
    const account = await register(server.url, unique("owner"), "correct horse");
    expect(await loginFrom(server.url, "127.4.0.7", account.user.name, "correct horse")).toBe("OK");
    await guessFlood(account.user.name);
    expect(await loginFrom(server.url, "127.4.0.7", account.user.name, "correct horse")).toBe("OK");
  });

  it("hashes the owner's login before a flood of strangers' logins that arrived first", async () => {
    // Real argon2 cost: the order of hashes only shows when hashing takes time.
    const s = await startTestServer({ loginBurst: 10_000, passwordCost: "default" });
    try {
      const account = await register(s.url, unique("busy"), "correct horse");
      expect(await loginFrom(s.url, "127.5.0.1", account.user.name, "correct horse")).toBe("OK");
      const answered: string[] = [];
      const flood: Promise<void>[] = [];
      for (let i = 0; i < 300; i++) {
        flood.push(
          loginFrom(s.url, "127.0.0.1", unique("nobody"), "wrong password").then((code) => {
            answered.push(code);
          }),
        );
      }
      // Let the flood reach the server first.
      await Bun.sleep(200);
      const owner = await loginFrom(s.url, "127.5.0.1", account.user.name, "correct horse");
      const checkedBefore = answered.filter((c) => c === "INVALID_CREDENTIALS").length;
      await Promise.all(flood);
      expect(owner).toBe("OK");
      // Only the hashes already running (one per spare core) and a few more may go first.
      expect(checkedBefore).toBeLessThan(20);
      // The flood is answered: each guess checked or refused as BUSY, none left hanging.
      expect(answered.length).toBe(300);
      expect(answered.every((c) => c === "INVALID_CREDENTIALS" || c === "BUSY")).toBe(true);
    } finally {
      await s.close();
    }
  });
});
