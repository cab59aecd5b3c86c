import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Connection, type Status } from "../../src/client-core/connection.ts";
import { unique } from "../support/client.ts";
import { startTestServer, type TestServer, tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { makeCertificates, type TestCertificates } from "../support/tls.ts";
import { runParley, spawnTail } from "./cli.ts";
import { until } from "./gated-clock.ts";
import { spawnClient } from "./pty.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const PASSWORD = "correct horse";
const STACK_TRACE = /at .*\(.*\.ts:\d+|^\s+at /m;

describe("the client against a TLS server", () => {
  let certs: TestCertificates;
  let server: TestServer;
  let user: string;
  let room: string;
  const configs: { remove(): void }[] = [];
  /** A fresh config dir (no saved session, no remembered CA) and its environment. */
  function freshConfig() {
    const dir = tempDir("parley-config-");
    configs.push(dir);
    return {
      env: { ...process.env, XDG_CONFIG_HOME: dir.path },
      file: join(dir.path, "parley", "session.json"),
    };
  }
  /** The test's own https requests trust the CA; the client under test is told with --ca. */
  async function post(path: string, body: unknown, token?: string) {
    const res = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
      tls: { ca: Bun.file(certs.ca) },
    });
    return (await res.json()) as { token: string };
  }

  beforeAll(async () => {
    certs = await makeCertificates();
    server = await startTestServer({ tlsCert: certs.cert, tlsKey: certs.key });
    user = unique("tls");
    room = unique("r");
    const { token } = await post("/api/register", { username: user, password: PASSWORD });
    await post("/api/rooms", { name: room }, token);
  });
  afterAll(async () => {
    await server.close();
    certs.remove();
    for (const c of configs) c.remove();
  });

  it("should log in, send and tail over https and wss when given the CA with --ca", async () => {
    expect(server.url).toMatch(/^https:\/\//);
    const { env, file } = freshConfig();
    const login = await runParley(
      ["login", "--server", server.url, "--ca", certs.ca, "--user", user, "--password-stdin"],
      env,
      `${PASSWORD}\n`,
    );
    expect(login.stderr).toContain(`Logged in to ${server.url} as ${user}.`);
    expect(login.code).toBe(0);
    expect((await Bun.file(file).json()).sessions[server.url].ca).toBe(certs.ca);

    // wss:// names the same server as https://, so the saved session is found under it.
    const wss = server.url.replace(/^https:/, "wss:");
    const tail = spawnTail(
      ["--room", room, "--since", "0", "--server", wss, "--ca", certs.ca],
      env,
    );
    try {
      const sent = await runParley(["send", "--room", room, "--ca", certs.ca, "over tls"], env);
      expect(sent).toEqual({ code: 0, stdout: "", stderr: "" });
      // No --ca now: the CA given at login is remembered with the session.
      const again = await runParley(["send", "--room", room, "remembered ca"], env);
      expect(again).toEqual({ code: 0, stdout: "", stderr: "" });
      const lines = await tail.lines(2);
      expect(lines.map((m) => m.body)).toEqual(["over tls", "remembered ca"]);
    } finally {
      await tail.stop();
    }
    const logout = await runParley(["logout", "--ca", certs.ca], env);
    expect(logout.code).toBe(0);
    expect(existsSync(file)).toBe(false);
  });

  it("should refuse an untrusted certificate without --ca, naming the problem, exit 1", async () => {
    const { env, file } = freshConfig();
    const run = await runParley(
      ["login", "--server", server.url, "--user", user, "--password-stdin"],
      env,
      `${PASSWORD}\n`,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `parley: Refused the server at ${server.url}: its TLS certificate is not trusted ` +
        "(it is signed by an unknown certificate authority; UNABLE_TO_VERIFY_LEAF_SIGNATURE). " +
        "If the server uses a private or self-signed CA, pass its certificate with --ca FILE.\n",
    );
    expect(run.stderr).not.toMatch(STACK_TRACE);
    expect(existsSync(file)).toBe(false);

    // A CA file that is not a certificate is refused too, never ignored.
    const bad = await runParley(["logout", "--server", server.url, "--ca", certs.key], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("holds no PEM certificate");
  });

  it("should stop the connection layer on an untrusted certificate instead of retrying", async () => {
    const { token } = await post("/api/login", { username: user, password: PASSWORD });
    const conn = new Connection({ server: server.url, token, backoff: { baseMs: 50 } });
    const statuses: Status[] = [];
    conn.on("status", (s) => statuses.push(s));
    conn.start();
    try {
      await expect(conn.ready()).rejects.toMatchObject({ code: "STOPPED" });
      const last = statuses.at(-1);
      expect(last).toMatchObject({ kind: "stopped", reason: "refused" });
      expect(last?.kind === "stopped" && last.message).toContain("TLS certificate is not trusted");
      expect(statuses.filter((s) => s.kind === "reconnecting")).toHaveLength(0);
    } finally {
      conn.close();
    }
  });

  it("should work with --insecure, warning on stderr every time", async () => {
    const { env, file } = freshConfig();
    const warning = "parley: warning: --insecure: the server's certificate is not checked";
    const login = await runParley(
      ["login", "--insecure", "--server", server.url, "--user", user, "--password-stdin"],
      env,
      `${PASSWORD}\n`,
    );
    expect(login.code).toBe(0);
    expect(login.stderr.startsWith(warning)).toBe(true);
    expect((await Bun.file(file).json()).sessions[server.url].ca).toBeUndefined();

    const sent = await runParley(["send", "--insecure", "--room", room, "insecurely"], env);
    expect(sent.code).toBe(0);
    expect(sent.stderr.startsWith(warning)).toBe(true);

    // --insecure is never remembered: without it the certificate is checked again.
    const checked = await runParley(["send", "--room", room, "checked"], env);
    expect(checked.code).toBe(1);
    expect(checked.stderr).toContain("TLS certificate is not trusted");
    expect(checked.stderr).not.toContain("warning");
  });

  it("should show the certificate problem in the interactive client and exit, not offer a retry", async () => {
    const { env } = freshConfig();
    const client = spawnClient(["--server", server.url], env as Record<string, string>);
    try {
      await client.waitFor(/TLS certificate is not trusted/);
      await until(() => client.proc.exitCode !== null, "the client to exit by itself");
      expect(client.proc.exitCode).toBe(1);
      const text = client.screen.lines().join("");
      expect(text).toContain("pass its certificate with --ca FILE");
      expect(text).not.toMatch(/Try again\?/);
      expect(text).not.toMatch(STACK_TRACE);
    } finally {
      client.proc.kill();
    }
  });

  it("should reach the room picker in the interactive client with --ca", async () => {
    const { env } = freshConfig();
    const client = spawnClient(
      ["--server", server.url, "--ca", certs.ca],
      env as Record<string, string>,
    );
    try {
      await client.waitFor(/Log in/);
      client.type("\r");
      await client.waitFor(/Username/);
      client.type(`${user}\r`);
      await client.waitFor(/Password/);
      client.type(`${PASSWORD}\r`);
      await client.waitFor(new RegExp(`#${room}`));
      client.type("\x03");
      await until(() => client.proc.exitCode !== null, "the client to exit");
      expect(client.proc.exitCode).toBe(0);
    } finally {
      client.proc.kill();
    }
  });
});
