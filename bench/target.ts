/**
 * The servers under test, each a child process on a free loopback port: Parley (the built
 * binary when it is fresh, else `bun server.ts`) and the bare relay. The bench reads their RSS
 * from /proc and can start them under Bun's CPU profiler.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "..");
const BINARY = join(ROOT, "dist", "parley-server");

export interface RunningTarget {
  url: string;
  wsUrl: string;
  pid: number;
  /** What was started, for the report. */
  command: string;
  /** Resident set size in KiB, from /proc/<pid>/status. */
  rssKiB(): number;
  /** CPU time the process has used so far (user + system, all threads) in µs, /proc/<pid>/stat. */
  cpuMicros(): number;
  /** The last lines the process wrote to stderr (warnings), for error messages. */
  stderrTail(): string;
  /** SIGTERM and wait; the profiler writes its files on this exit. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Write a CPU profile (.cpuprofile and .md) into this directory on exit. */
  profileDir?: string;
}

function newestSource(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path, { recursive: true, withFileTypes: true })) {
    if (entry.isFile())
      newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** The built binary counts only if it is newer than every source it was built from. */
export function binaryIsFresh(): boolean {
  let built: number;
  try {
    built = statSync(BINARY).mtimeMs;
  } catch {
    return false;
  }
  const sources = ["server.ts", "package.json", "bun.lock", "src", "db"].map((p) => join(ROOT, p));
  return sources.every((p) => newestSource(p) <= built);
}

function parleyCommand(opts: StartOptions): string[] {
  // A profile needs readable function names, so it always runs from source.
  if (!opts.profileDir && binaryIsFresh()) return [BINARY];
  return [process.execPath, ...profileFlags(opts), join(ROOT, "server.ts")];
}

function profileFlags(opts: StartOptions): string[] {
  if (!opts.profileDir) return [];
  return ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${opts.profileDir}`];
}

export function startParley(db: string, flags: string[], opts: StartOptions = {}) {
  const command = [...parleyCommand(opts), "--port", "0", "--db", db, ...flags];
  return spawnTarget(command);
}

export function startRelay(opts: StartOptions = {}) {
  return spawnTarget([
    process.execPath,
    ...profileFlags(opts),
    join(import.meta.dir, "relay.ts"),
    "--port",
    "0",
  ]);
}

/**
 * The bench's environment minus what would silently change the server under test: the store and
 * bus are chosen by flags only, so a DATABASE_URL left in a shell never turns a SQLite run into
 * a PostgreSQL one.
 */
function serverEnv(): Record<string, string | undefined> {
  const env = { ...process.env };
  for (const name of ["DATABASE_URL", "REDIS_URL", "PARLEY_REDIS_PREFIX"]) delete env[name];
  return env;
}

async function spawnTarget(command: string[]): Promise<RunningTarget> {
  const proc = Bun.spawn(command, {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    cwd: ROOT,
    env: serverEnv(),
  });
  let stderr = "";
  (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) stderr = (stderr + decoder.decode(chunk)).slice(-4000);
  })().catch(() => {});
  const url = await readUrl(proc, () => stderr);
  const label = command
    .map((part) => part.replace(`${ROOT}/`, ""))
    .map((part) => (part === process.execPath ? "bun" : part))
    .slice(0, command.indexOf("--port"))
    .join(" ");
  return {
    url,
    wsUrl: `${url.replace(/^http/, "ws")}/ws`,
    pid: proc.pid,
    command: label,
    rssKiB() {
      const status = readFileSync(`/proc/${proc.pid}/status`, "utf8");
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
    },
    cpuMicros: () => processCpuMicros(proc.pid),
    stderrTail: () => stderr,
    async stop() {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
      await proc.exited;
      clearTimeout(timer);
    },
  };
}

/** Clock ticks per second of /proc's CPU times (USER_HZ): 100 on every Linux this runs on. */
const TICKS_PER_SECOND = Number(
  new TextDecoder().decode(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout).trim() || 100,
);

/** utime + stime (fields 14 and 15 of /proc/<pid>/stat, counted after the command's ")"). */
export function processCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000_000) / TICKS_PER_SECOND;
}

async function readUrl(
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">,
  stderr: () => string,
): Promise<string> {
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  const deadline = setTimeout(() => proc.kill("SIGKILL"), 30_000);
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += decoder.decode(value, { stream: true });
      const match = /listening on (\S+)/.exec(seen);
      if (match?.[1]) {
        reader.releaseLock();
        // Keep draining stdout so the child never blocks on a full pipe.
        proc.stdout.pipeTo(new WritableStream()).catch(() => {});
        return match[1];
      }
    }
  } finally {
    clearTimeout(deadline);
  }
  await proc.exited;
  throw new Error(`server did not start: ${seen}${stderr()}`);
}

/** Whether this build of the server accepts `flag` (its --help lists it). */
export function parleyAccepts(flag: string): boolean {
  const help = Bun.spawnSync([...parleyCommand({}), "--help"], { cwd: ROOT });
  return help.stdout.toString().includes(`${flag} `);
}
