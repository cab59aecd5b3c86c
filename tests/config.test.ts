import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import { DEFAULTS } from "../src/server/config.ts";
import { parseConfig } from "../src/server/config-parser.ts";
import { ROOT, spawnServer, tempDir } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

describe("parseConfig", () => {
  it("uses the embedded defaults: localhost, port 3000, SQLite under data/", () => {
    expect(parseConfig([], {})).toEqual({ kind: "config", config: DEFAULTS });
    expect(DEFAULTS).toMatchObject({ host: "127.0.0.1", port: 3000, db: "data/parley.db" });
  });

  it("reads environment variables, and flags win over them", () => {
    const env = {
      PARLEY_PORT: "4000",
      PARLEY_HOST: "0.0.0.0",
      PARLEY_DB: "/tmp/x.db",
      PARLEY_LOG_LEVEL: "debug",
    };
    const parsed = parseConfig(["--port", "5000", "--log-level=warn"], env);
    expect(parsed).toEqual({
      kind: "config",
      config: { ...DEFAULTS, port: 5000, host: "0.0.0.0", db: "/tmp/x.db", logLevel: "warn" },
    });
  });

  it("turns metrics off and keeps the default password cost unless told", () => {
    expect(DEFAULTS).toMatchObject({ metricsPort: -1, passwordCost: "default" });
    const parsed = parseConfig(["--metrics-port", "0"], { PARLEY_PASSWORD_COST: "minimal" });
    expect(parsed).toEqual({
      kind: "config",
      config: { ...DEFAULTS, metricsPort: 0, passwordCost: "minimal" },
    });
  });

  it("refuses bad values with one clear line naming the option", () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [["--port", "http"], {}, /--port \(PARLEY_PORT\) must be a whole number/],
      [["--port", "70000"], {}, /--port \(PARLEY_PORT\) must be 0 to 65535/],
      [[], { PARLEY_LOG_LEVEL: "loud" }, /--log-level \(PARLEY_LOG_LEVEL\) must be one of/],
      [["--heartbeat", "2"], {}, /--heartbeat .* must be at least 8/],
      [["--colour"], {}, /unknown option --colour/],
      [["--db"], {}, /--db needs a value/],
      [
        ["--metrics-port", "99999"],
        {},
        /--metrics-port \(PARLEY_METRICS_PORT\) must be 0 to 65535/,
      ],
      [[], { PARLEY_PASSWORD_COST: "cheap" }, /--password-cost .* must be one of default, minimal/],
    ];
    for (const [argv, env, message] of cases) {
      const parsed = parseConfig(argv, env);
      expect(parsed.kind).toBe("error");
      if (parsed.kind === "error") expect(parsed.message).toMatch(message);
    }
  });
});

describe("parley-server", () => {
  async function run(args: string[]) {
    const proc = Bun.spawn([process.execPath, join(ROOT, "server.ts"), ...args], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return { stdout, stderr, code };
  }

  it("exits with code 2 and one line on bad configuration", async () => {
    const { stderr, stdout, code } = await run(["--port", "-1"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.trimEnd().split("\n")).toEqual([
      'parley-server: --port (PARLEY_PORT) must be a whole number, not "-1"',
    ]);
  });

  it("prints --help and --version", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    for (const flag of ["--port", "--host", "--db", "--log-level", "PARLEY_PORT", "PARLEY_DB"])
      expect(help.stdout).toContain(flag);
    // Even the longest flag is apart from its help text.
    expect(help.stdout).not.toMatch(/VALUE\S/);
    const version = await run(["--version"]);
    expect(version.stdout).toMatch(/^parley-server \d+\.\d+\.\d+/);
  });

  it("picks a free port with --port 0, prints its URL, answers /healthz and creates its database", async () => {
    const dir = tempDir();
    try {
      const db = join(dir.path, "nested", "parley.db");
      const server = await spawnServer({ db });
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);
      await server.stop();
      expect(await Bun.file(db).exists()).toBe(true);
    } finally {
      dir.remove();
    }
  });
});
