import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { startTestServer, type TestServer } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";
import { makeCertificates, type TestCertificates } from "./support/tls.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

let certs: TestCertificates;
let server: TestServer;
beforeAll(async () => {
  certs = await makeCertificates();
  server = await startTestServer({ tlsCert: certs.cert, tlsKey: certs.key });
});
afterAll(async () => {
  await server.close();
  certs.remove();
});

describe("TLS", () => {
  it("serves https with the generated CA, with an HSTS header", async () => {
    expect(server.url).toMatch(/^https:\/\//);
    const res = await fetch(`${server.url}/healthz`, { tls: { ca: Bun.file(certs.ca) } });
    expect(res.status).toBe(200);
    expect(res.headers.get("strict-transport-security")).toContain("max-age=");
    const err = await fetch(`${server.url}/api/me`, { tls: { ca: Bun.file(certs.ca) } });
    expect(err.status).toBe(401);
    expect(err.headers.get("strict-transport-security")).toContain("max-age=");
    // The page, served outside hono, carries it too.
    const page = await fetch(`${server.url}/`, { tls: { ca: Bun.file(certs.ca) } });
    expect(page.status).toBe(200);
    expect(page.headers.get("strict-transport-security")).toContain("max-age=");
  });

  it("registers and chats over wss with the CA", async () => {
    const reg = await fetch(`${server.url}/api/register`, {
      method: "POST",
      body: JSON.stringify({ username: "tlsuser", password: "correct horse" }),
      tls: { ca: Bun.file(certs.ca) },
    });
    const { token } = (await reg.json()) as { token: string };
    const issued = await fetch(`${server.url}/api/ws-ticket`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      tls: { ca: Bun.file(certs.ca) },
    });
    const { ticket } = (await issued.json()) as { ticket: string };
    const ws = new WebSocket(`${server.wsUrl}?ticket=${ticket}`, {
      tls: { ca: Bun.file(certs.ca) },
    } as unknown as string[]);
    const hello = await new Promise<string>((resolve, reject) => {
      ws.addEventListener("message", (e) => resolve(String(e.data)));
      ws.addEventListener("error", () => reject(new Error("wss failed")));
    });
    expect(JSON.parse(hello).type).toBe("hello");
    ws.close();
  });

  it("is refused by a client that does not trust the certificate", async () => {
    const failure = await fetch(`${server.url}/healthz`).then(
      () => "connected",
      (err: Error) => String((err as Error & { code?: string }).code ?? err.message),
    );
    expect(failure).not.toBe("connected");
    expect(failure).toMatch(/CERT|certificate|SELF_SIGNED|UNABLE_TO/i);
    const ws = new WebSocket(server.wsUrl);
    const outcome = await new Promise<string>((resolve) => {
      ws.addEventListener("open", () => resolve("open"));
      ws.addEventListener("error", () => resolve("error"));
    });
    expect(outcome).toBe("error");
  });
});
