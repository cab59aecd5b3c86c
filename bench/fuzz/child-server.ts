/**
 * A Parley server as a child process (`bun server.ts`), so a crash shows as an exit, not as a
 * dead test runner. It keeps the server's error-level log lines (event names and error texts;
 * the server never logs bodies or tokens) and can be SIGKILLed and restarted on the same port.
 */
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");

export interface ChildServerOptions {
  db: string;
  /** 0 picks a free port; pass the old port to restart in place. @default 0 */
  port?: number;
  args?: readonly string[];
}

export interface ServerLogLine {
  level: string;
  event: string;
  error?: string;
}

export class ChildServer {
  exitCode: number | null = null;

  private constructor(
    readonly proc: Bun.Subprocess<"ignore", "pipe", "pipe">,
    readonly url: string,
    /** Error-level log lines: each one is a server-side failure worth a look. */
    readonly errors: ServerLogLine[],
  ) {
    proc.exited.then((code) => {
      this.exitCode = code;
    });
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  get wsUrl(): string {
    return `${this.url.replace(/^http/, "ws")}/ws`;
  }

  get alive(): boolean {
    return this.exitCode === null && this.proc.exitCode === null && !this.proc.killed;
  }

  static async start(o: ChildServerOptions): Promise<ChildServer> {
    const proc = Bun.spawn(
      [
        process.execPath,
        join(ROOT, "server.ts"),
        "--port",
        String(o.port ?? 0),
        "--db",
        o.db,
        "--log-level",
        "warn",
        "--login-burst",
        "100000",
        "--signup-burst",
        "100000",
        // The HTTP lane sends requests back to back: its limits are exercised by tests instead.
        "--http-rate",
        "100000",
        "--http-burst",
        "100000",
        ...(o.args ?? []),
      ],
      { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env } },
    );
    const errors: ServerLogLine[] = [];
    void readLines(proc.stderr, (line) => {
      let parsed: Partial<ServerLogLine> = {};
      try {
        parsed = JSON.parse(line);
      } catch {
        // Not a log line: a runtime crash prints plain text. Keep it.
        errors.push({ level: "stderr", event: line.slice(0, 300) });
        return;
      }
      if (parsed.level === "error") {
        errors.push({
          level: "error",
          event: String(parsed.event),
          ...(parsed.error ? { error: String(parsed.error).slice(0, 300) } : {}),
        });
      }
    });
    const url = await new Promise<string>((resolve, reject) => {
      let seen = "";
      const timer = setTimeout(() => reject(new Error(`server did not start: ${seen}`)), 20_000);
      readLines(proc.stdout, (line) => {
        seen += `${line}\n`;
        const match = /listening on (\S+)/.exec(line);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      proc.exited.then((code) => {
        clearTimeout(timer);
        setTimeout(() => {
          const why = errors.map((e) => e.event).join(" | ");
          reject(new Error(`server exited with ${code} before listening: ${seen}${why}`));
        }, 50);
      });
    });
    return new ChildServer(proc, url, errors);
  }

  /** GET /healthz answers 200 {"ok":true}. */
  async healthy(timeoutMs = 5000): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
      const body = (await res.json()) as { ok?: unknown };
      return res.status === 200 && body.ok === true;
    } catch {
      return false;
    }
  }

  /** SIGKILL: no shutdown code runs. */
  async kill(): Promise<void> {
    this.proc.kill("SIGKILL");
    await this.proc.exited;
  }

  /** SIGTERM and wait for the clean shutdown; SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<number> {
    this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), graceMs);
    const code = await this.proc.exited;
    clearTimeout(timer);
    return code;
  }
}

/** Calls `onLine` for each line of a stream until it ends; never lets a pipe fill up. */
async function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  const decoder = new TextDecoder();
  let buffered = "";
  try {
    for await (const chunk of stream) {
      buffered += decoder.decode(chunk, { stream: true });
      let nl = buffered.indexOf("\n");
      while (nl >= 0) {
        onLine(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf("\n");
      }
    }
  } catch {
    // The process is gone.
  }
  if (buffered) onLine(buffered);
}
