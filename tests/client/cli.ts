/** The real `parley` command as a child process: one-shot runs, and a `tail` read line by line. */
import { join } from "node:path";
import { ROOT } from "../support/server.ts";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `bun client.ts ARGS` to the end, killed after timeoutMs so a hang fails the test. */
export async function runParley(
  args: string[],
  env: Record<string, string | undefined>,
  stdin = "",
  timeoutMs = 45_000,
): Promise<Run> {
  const proc = Bun.spawn([process.execPath, join(ROOT, "client.ts"), ...args], {
    env,
    stdin: new Blob([stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  try {
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

/** One JSON line of `parley tail`: a message (`body`), or one of the room's events (`event`). */
export interface TailLine {
  seq: number;
  body?: string;
  event?: string;
}

export interface Tail {
  /** Waits for at least n JSON lines on stdout and returns every line so far, parsed. */
  lines(n: number, timeoutMs?: number): Promise<TailLine[]>;
  /** What tail wrote to stderr so far (status lines). */
  stderr(): string;
  stop(): Promise<void>;
}

/** `parley tail --json ARGS` running in the background. */
export function spawnTail(args: string[], env: Record<string, string | undefined>): Tail {
  const proc = Bun.spawn([process.execPath, join(ROOT, "client.ts"), "tail", "--json", ...args], {
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  let err = "";
  const decoder = new TextDecoder();
  const errDecoder = new TextDecoder();
  const reading = (async () => {
    for await (const chunk of proc.stdout) out += decoder.decode(chunk, { stream: true });
  })();
  void (async () => {
    for await (const chunk of proc.stderr) err += errDecoder.decode(chunk, { stream: true });
  })();
  const parsed = () =>
    out
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as TailLine);
  return {
    async lines(n, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (parsed().length < n) {
        if (proc.exitCode !== null) {
          await reading;
          if (parsed().length >= n) break;
          throw new Error(`tail exited (${proc.exitCode}) early; stdout:\n${out}\nstderr:\n${err}`);
        }
        if (Date.now() > deadline) {
          throw new Error(
            `tail printed ${parsed().length} of ${n} lines:\n${out}\nstderr:\n${err}`,
          );
        }
        await Bun.sleep(20);
      }
      return parsed();
    },
    stderr: () => err,
    async stop() {
      proc.kill();
      await proc.exited;
    },
  };
}
