/**
 * `bun build/smoke.ts`: checks the compiled binaries in dist/ work on their own. Starts
 * dist/parley-server on a free port with a temporary database, then drives dist/parley:
 * --version, login, a send/tail round trip, and a login over https (refused without --ca,
 * accepted with it; needs openssl). Runs from a temporary directory (no
 * node_modules nearby) with a temporary XDG_CONFIG_HOME. Exits non-zero on any failure.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeCertificates } from "../tests/support/tls.ts";

const root = join(import.meta.dir, "..");
const serverBin = join(root, "dist", "parley-server");
const clientBin = join(root, "dist", "parley");
const work = mkdtempSync(join(tmpdir(), "parley-smoke-"));
const env = { ...process.env, XDG_CONFIG_HOME: join(work, "config"), NO_COLOR: "1" };
const children: Bun.Subprocess[] = [];

function check(what: string, ok: boolean, detail = ""): void {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${detail ? `: ${detail}` : ""}`);
  if (!ok) throw new Error(what);
}

async function run(
  args: string[],
  stdin = "",
): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn(args, {
    cwd: work,
    env,
    stdin: new Blob([stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill(), 30_000);
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  return { code, out, err };
}

/** Reads a child's stdout until `pattern` appears; returns everything read. */
async function readUntil(stream: ReadableStream<Uint8Array>, pattern: RegExp, timeoutMs: number) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  const deadline = setTimeout(() => reader.cancel(), timeoutMs);
  try {
    while (!pattern.test(seen)) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += decoder.decode(value, { stream: true });
    }
  } finally {
    clearTimeout(deadline);
    reader.releaseLock();
  }
  return seen;
}

async function main(): Promise<void> {
  check("dist/parley-server exists", existsSync(serverBin), serverBin);
  check("dist/parley exists", existsSync(clientBin), clientBin);

  const serverVersion = await run([serverBin, "--version"]);
  check(
    "parley-server --version",
    /^parley-server \d+\.\d+\.\d+/.test(serverVersion.out),
    serverVersion.out.trim(),
  );
  const clientVersion = await run([clientBin, "--version"]);
  check(
    "parley --version",
    /^parley \d+\.\d+\.\d+/.test(clientVersion.out),
    clientVersion.out.trim(),
  );

  const server = Bun.spawn(
    [serverBin, "--port", "0", "--db", join(work, "parley.db"), "--log-level", "warn"],
    { cwd: work, env, stdin: "ignore", stdout: "pipe", stderr: "inherit" },
  );
  children.push(server);
  const banner = await readUntil(server.stdout, /listening on (\S+)/, 15_000);
  const url = /listening on (\S+)/.exec(banner)?.[1];
  check("the server starts on a free port", url !== undefined, url ?? banner);
  server.stdout.pipeTo(new WritableStream()).catch(() => {});
  const base = url as string;

  const user = `smoke${process.pid}`;
  const password = "smoke test password";
  const registered = await fetch(`${base}/api/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: user, password }),
  });
  check("an account is registered over HTTP", registered.status === 201, String(registered.status));
  const { token } = (await registered.json()) as { token: string };
  const room = `smoke${process.pid}`;
  const created = await fetch(`${base}/api/rooms`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ name: room }),
  });
  check("a room is created over HTTP", created.status === 201, String(created.status));

  const login = await run(
    [clientBin, "login", "--server", base, "--user", user, "--password-stdin"],
    `${password}\n`,
  );
  check("parley login --password-stdin", login.code === 0, (login.err || login.out).trim());

  const tail = Bun.spawn([clientBin, "tail", "--room", room, "--json"], {
    cwd: work,
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "inherit",
  });
  children.push(tail);
  const body = `smoke round trip ${Date.now()}`;
  const sent = await run([clientBin, "send", "--room", room, body]);
  check("parley send", sent.code === 0, sent.err.trim());
  const tailed = await readUntil(tail.stdout, new RegExp(body), 20_000);
  const line = tailed.split("\n").find((l) => l.includes(body));
  const parsed = line ? (JSON.parse(line) as { body: string; from: { name: string } }) : undefined;
  check(
    "parley tail --json shows the sent message",
    parsed?.body === body && parsed.from.name === user,
    line ?? tailed.trim(),
  );

  await checkTls(user, password);
}

/** The same binaries over https: refused without --ca (exit 1, a clear line), fine with it. */
async function checkTls(user: string, password: string): Promise<void> {
  const certs = await makeCertificates();
  try {
    const server = Bun.spawn(
      [
        serverBin,
        ...["--port", "0", "--db", join(work, "parley-tls.db"), "--log-level", "warn"],
        ...["--tls-cert", certs.cert, "--tls-key", certs.key],
      ],
      { cwd: work, env, stdin: "ignore", stdout: "pipe", stderr: "inherit" },
    );
    children.push(server);
    const banner = await readUntil(server.stdout, /listening on (\S+)/, 15_000);
    const base = /listening on (https:\S+)/.exec(banner)?.[1];
    check("the server starts with TLS", base !== undefined, banner.trim());
    server.stdout.pipeTo(new WritableStream()).catch(() => {});
    const registered = await fetch(`${base}/api/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: user, password }),
      tls: { ca: Bun.file(certs.ca) },
    });
    check("an account is registered over https", registered.status === 201);
    const args = ["login", "--server", base as string, "--user", user, "--password-stdin"];
    const refused = await run([clientBin, ...args], `${password}\n`);
    check(
      "parley refuses the untrusted certificate without --ca",
      refused.code === 1 && refused.err.includes("TLS certificate is not trusted"),
      refused.err.trim(),
    );
    const trusted = await run([clientBin, ...args, "--ca", certs.ca], `${password}\n`);
    check("parley login --ca over https", trusted.code === 0, trusted.err.trim());
  } finally {
    certs.remove();
  }
}

let failed = false;
try {
  await main();
  console.log("smoke: all checks passed");
} catch (err) {
  failed = true;
  console.error(`smoke: failed: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  for (const child of children) child.kill();
  await Promise.all(children.map((c) => c.exited));
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
