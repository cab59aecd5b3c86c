/**
 * Private service instances a test starts, kills and restarts itself, so failures of Redis or
 * PostgreSQL can be tested without touching the machine's shared servers.
 */
import { chownSync, existsSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { tempDir } from "./server.ts";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = addr && typeof addr === "object" ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function until(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

async function answers(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    socket.end();
    return true;
  } catch {
    return false;
  }
}

export interface Instance {
  url: string;
  /** Kills the service at once (SIGKILL / immediate shutdown). */
  kill(): Promise<void>;
  /** Starts it again on the same port (and, for PostgreSQL, the same data). */
  restart(): Promise<void>;
  remove(): Promise<void>;
}

/** A redis-server of our own on a free port, keeping nothing on disk. */
export async function startRedis(): Promise<Instance> {
  const port = await freePort();
  let proc: Bun.Subprocess | undefined;
  const start = async () => {
    proc = Bun.spawn(
      [
        "redis-server",
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
      ],
      {
        stdout: "ignore",
        stderr: "ignore",
      },
    );
    await until(() => answers(port), `redis on ${port}`);
  };
  const kill = async () => {
    proc?.kill("SIGKILL");
    await proc?.exited;
    proc = undefined;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, kill, restart: start, remove: kill };
}

function postgresBin(name: string): string {
  const root = "/usr/lib/postgresql";
  const version = existsSync(root) ? readdirSync(root).sort().at(-1) : undefined;
  if (!version) throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql");
  return join(root, version, "bin", name);
}

/** Runs a PostgreSQL tool as the postgres user: the server refuses to run as root. */
function asPostgres(args: string[]): string[] {
  return process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...args] : args;
}

/** A PostgreSQL cluster of our own, in a temp folder, on a free port, with trust auth. */
export async function startPostgres(): Promise<Instance> {
  const dir = tempDir("parley-pg-");
  if (process.getuid?.() === 0) {
    const { uid, gid } = pgUser();
    chownSync(dir.path, uid, gid);
  }
  const data = join(dir.path, "data");
  const port = await freePort();
  const init = Bun.spawnSync(
    asPostgres([postgresBin("initdb"), "-D", data, "-A", "trust", "-U", "postgres"]),
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  if (init.exitCode !== 0) throw new Error(`initdb failed: ${init.stderr.toString()}`);
  const pgCtl = (args: string[]) =>
    Bun.spawnSync(asPostgres([postgresBin("pg_ctl"), "-D", data, ...args]), {
      stdout: "pipe",
      stderr: "pipe",
    });
  const start = async () => {
    const r = pgCtl([
      "-o",
      `-p ${port} -k ${dir.path} -c listen_addresses=127.0.0.1 -c fsync=off`,
      "-w",
      "-t",
      "30",
      "start",
      "-l",
      join(dir.path, "log"),
    ]);
    if (r.exitCode !== 0) throw new Error(`pg_ctl start failed: ${r.stderr.toString()}`);
    await until(() => answers(port), `postgres on ${port}`);
  };
  const kill = async () => {
    pgCtl(["-m", "immediate", "-w", "stop"]);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    kill,
    restart: start,
    async remove() {
      await kill();
      dir.remove();
    },
  };
}

function pgUser(): { uid: number; gid: number } {
  const out = Bun.spawnSync(["id", "-u", "postgres"]).stdout.toString().trim();
  const gid = Bun.spawnSync(["id", "-g", "postgres"]).stdout.toString().trim();
  return { uid: Number(out), gid: Number(gid) };
}
