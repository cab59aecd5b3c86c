/** Appearance settings kept per user on the server: GET/PUT /api/settings. */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { DEFAULT_SETTINGS, SETTINGS_MAX_BYTES, type Settings } from "../src/protocol/settings.ts";
import { api, register } from "./support/client.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { TEST_TIMEOUT_MS } from "./support/setup.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const chosen: Settings = {
  theme: "high-contrast",
  accent: "#0b7a75",
  textSize: "largest",
  density: "compact",
  clock: "24h",
  motion: "reduce",
  custom: null,
};

const get = (token: string) =>
  api<{ settings: Settings; saved: boolean }>(server.url, "GET", "/api/settings", undefined, token);
const put = (token: string, body: unknown) =>
  api<{ settings?: Settings; code?: string; message?: string }>(
    server.url,
    "PUT",
    "/api/settings",
    body,
    token,
  );

describe("/api/settings", () => {
  it("answers the defaults for a user who saved none", async () => {
    const alice = await register(server.url);
    expect((await get(alice.token)).body).toEqual({ settings: DEFAULT_SETTINGS, saved: false });
  });

  it("keeps what a user saves, for every session of that user and no one else", async () => {
    const alice = await register(server.url);
    const bob = await register(server.url);
    expect((await put(alice.token, chosen)).status).toBe(200);
    const other = await api<{ token: string }>(server.url, "POST", "/api/login", {
      username: alice.user.name,
      password: "correct horse",
    });
    expect((await get(other.body.token)).body).toEqual({ settings: chosen, saved: true });
    expect((await get(bob.token)).body.saved).toBe(false);
  });

  it("keeps an imported theme with its tokens", async () => {
    const alice = await register(server.url);
    const custom = {
      parley: "theme",
      version: 1,
      name: "Solarized-ish",
      base: "dark",
      tokens: { bg: "#002b36", text: "#eee8d5" },
    } as const;
    expect((await put(alice.token, { ...chosen, theme: "custom", custom })).status).toBe(200);
    expect((await get(alice.token)).body.settings.custom).toEqual(custom);
  });

  it("refuses a bad value with INVALID_SETTINGS and keeps what was saved", async () => {
    const alice = await register(server.url);
    await put(alice.token, chosen);
    for (const bad of [
      { ...chosen, theme: "neon" },
      { ...chosen, accent: "red; background: url(x)" },
      { ...chosen, extra: 1 },
      {
        ...chosen,
        custom: { parley: "theme", version: 1, name: "x", base: "dark", tokens: { bg: "blue" } },
      },
      "not json {",
      [],
    ]) {
      const res = await put(alice.token, bad);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe("INVALID_SETTINGS");
    }
    expect((await get(alice.token)).body.settings).toEqual(chosen);
  });

  it(`refuses settings over ${SETTINGS_MAX_BYTES} bytes with INVALID_SETTINGS`, async () => {
    const alice = await register(server.url);
    const res = await put(alice.token, { ...chosen, pad: "x".repeat(SETTINGS_MAX_BYTES) });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("INVALID_SETTINGS");
    expect(res.body.message).toContain(String(SETTINGS_MAX_BYTES));
  });

  it("needs a session: UNAUTHENTICATED without one", async () => {
    expect((await get("")).body).toMatchObject({ code: "UNAUTHENTICATED" });
    expect((await put("nope", chosen)).status).toBe(401);
  });
});
