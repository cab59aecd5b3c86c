/** `parley sessions`, `sessions revoke`, `password` and `delete-account`, as real processes. */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { parseArgs } from "../../src/client/args.ts";
import { api, register, unique } from "../support/client.ts";
import { startTestServer, type TestServer, tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { runParley } from "./cli.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function loggedIn(password = "correct horse") {
  const config = tempDir("parley-config-");
  const env = { ...process.env, XDG_CONFIG_HOME: config.path };
  const name = unique("acct");
  await register(server.url, name, password);
  const login = await runParley(
    ["login", "--server", server.url, "--user", name, "--password-stdin"],
    env,
    `${password}\n`,
  );
  expect(login.code).toBe(0);
  const other = await api<{ token: string }>(server.url, "POST", "/api/login", {
    username: name,
    password,
  });
  return { env, name, otherToken: other.body.token, config };
}

describe("parley sessions", () => {
  it("lists the sessions, this one marked, and revokes another by its id", async () => {
    const { env, otherToken, config } = await loggedIn();
    try {
      const listed = await runParley(["sessions"], env);
      expect(listed.code).toBe(0);
      const lines = listed.stdout.trimEnd().split("\n");
      expect(lines.length).toBe(3); // the registration, the CLI login, the other login
      expect(lines.filter((l) => l.startsWith("*")).length).toBe(1);
      const mine = lines.find((l) => l.startsWith("*")) as string;
      const others = lines.filter((l) => l !== mine).map((l) => l.slice(2, 18));
      // Revoke each other one; the other login's token stops working.
      for (const id of others)
        expect((await runParley(["sessions", "revoke", id], env)).code).toBe(0);
      expect((await api(server.url, "GET", "/api/me", undefined, otherToken)).status).toBe(401);
      expect((await runParley(["sessions"], env)).stdout.trim().split("\n").length).toBe(1);
      const unknown = await runParley(["sessions", "revoke", "0123456789abcdef"], env);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toBe("parley: You have no session with that id.\n");
    } finally {
      config.remove();
    }
  });

  it("logs out everywhere else with --all", async () => {
    const { env, otherToken, config } = await loggedIn();
    try {
      const run = await runParley(["sessions", "revoke", "--all"], env);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe("Logged out 2 other sessions.\n");
      expect((await api(server.url, "GET", "/api/me", undefined, otherToken)).status).toBe(401);
      expect((await runParley(["sessions"], env)).code).toBe(0);
    } finally {
      config.remove();
    }
  });
});

describe("parley password", () => {
  it("changes the password from stdin and logs the other sessions out", async () => {
    const { env, name, otherToken, config } = await loggedIn();
    try {
      const run = await runParley(
        ["password", "--password-stdin"],
        env,
        "correct horse\na brand new passphrase\n",
      );
      expect(run.code).toBe(0);
      expect(run.stderr).toBe("Password changed; 2 other sessions were logged out.\n");
      expect((await api(server.url, "GET", "/api/me", undefined, otherToken)).status).toBe(401);
      const old = await api(server.url, "POST", "/api/login", {
        username: name,
        password: "correct horse",
      });
      expect(old.status).toBe(401);
      // This session stays: the saved token still works.
      expect((await runParley(["sessions"], env)).code).toBe(0);
    } finally {
      config.remove();
    }
  });

  it("deletes the account with its password: WRONG_PASSWORD first, then gone, logins refused", async () => {
    const { env, name, otherToken, config } = await loggedIn();
    try {
      const wrong = await runParley(["delete-account", "--password-stdin"], env, "not it\n");
      expect(wrong.code).toBe(1);
      expect((await api(server.url, "GET", "/api/me", undefined, otherToken)).status).toBe(200);
      const run = await runParley(["delete-account", "--password-stdin"], env, "correct horse\n");
      expect(run.code).toBe(0);
      expect(run.stderr).toContain("Your account is deleted");
      expect((await api(server.url, "GET", "/api/me", undefined, otherToken)).status).toBe(401);
      const login = await api(server.url, "POST", "/api/login", {
        username: name,
        password: "correct horse",
      });
      expect(login.status).toBe(401);
      // The saved session is forgotten.
      expect((await runParley(["sessions"], env)).code).toBe(1);
    } finally {
      config.remove();
    }
  });

  it("refuses a wrong current password, saying so, and changes nothing", async () => {
    const { env, name, config } = await loggedIn();
    try {
      const run = await runParley(
        ["password", "--password-stdin"],
        env,
        "nope nope\nnew one here\n",
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toBe("parley: The current password is wrong.\n");
      const still = await api(server.url, "POST", "/api/login", {
        username: name,
        password: "correct horse",
      });
      expect(still.status).toBe(200);
    } finally {
      config.remove();
    }
  });

  it("parses the account commands and refuses half-given ones", () => {
    expect(parseArgs(["sessions"]).command).toEqual({ kind: "sessions", action: { kind: "list" } });
    expect(parseArgs(["sessions", "revoke", "--all"]).command).toEqual({
      kind: "sessions",
      action: { kind: "all" },
    });
    expect(parseArgs(["sessions", "revoke"]).command.kind).toBe("error");
    expect(parseArgs(["sessions", "revoke", "abc", "--all"]).command.kind).toBe("error");
    expect(parseArgs(["password"]).command).toEqual({ kind: "password", passwordStdin: false });
  });
});
