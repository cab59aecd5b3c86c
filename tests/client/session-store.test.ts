import { afterAll, describe, expect, it } from "bun:test";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SessionStore } from "../../src/client/session-store.ts";
import { tempDir } from "../support/server.ts";

const session = (token: string) => ({ user: { id: 1, name: "ann" }, token, expiresAt: 0 });

describe("SessionStore", () => {
  const dirs: { remove(): void }[] = [];
  const store = () => {
    const dir = tempDir("parley-sessions-");
    dirs.push(dir);
    return new SessionStore(dir.path);
  };
  afterAll(() => {
    for (const d of dirs) d.remove();
  });

  it("should keep each user's last buffer and input history apart, in a file only they can read", () => {
    const s = store();
    s.saveView(["http://a:1"], 1, {
      last: "#dev",
      history: { "#dev": ["hi"] },
      highlights: [],
      bell: false,
    });
    expect(s.view(["http://a:1/"], 1)).toEqual({
      last: "#dev",
      history: { "#dev": ["hi"] },
      highlights: [],
      bell: false,
    });
    expect(s.view(["http://a:1"], 2)).toEqual({ history: {}, highlights: [], bell: true });
    expect(statSync(s.viewFile).mode & 0o777).toBe(0o600);
    writeFileSync(s.viewFile, "{damaged");
    expect(s.view(["http://a:1"], 1).last).toBeUndefined();
  });

  it("should find a deployment's session through any of its nodes, and remember the list", () => {
    const s = store();
    s.save(["https://a:1", "wss://b:2/ws"], { ...session("t1"), ca: "/etc/ca.pem" });
    expect(s.get("https://b:2")?.token).toBe("t1");
    expect(s.get(["http://other:9", "https://A:1/"])?.ca).toBe("/etc/ca.pem");
    expect(s.get("https://c:3")).toBeUndefined();
    expect(s.currentServers()).toEqual(["https://a:1", "https://b:2"]);
  });

  it("should replace, not duplicate, a deployment logged in to again with another node list", () => {
    const s = store();
    s.save(["https://a:1", "https://b:2"], session("old"));
    s.save(["https://b:2", "https://c:3"], session("new"));
    expect(s.get("https://a:1")).toBeUndefined();
    expect(s.get("https://c:3")?.token).toBe("new");
    s.forget("https://c:3");
    expect(s.get("https://b:2")).toBeUndefined();
  });

  it("should read a file written before node lists existed", () => {
    const s = store();
    writeFileSync(
      join(s.dir, "session.json"),
      JSON.stringify({ current: "http://a:1", sessions: { "http://a:1": session("t") } }),
    );
    expect(s.get("http://a:1/")?.token).toBe("t");
    expect(s.currentServers()).toEqual(["http://a:1"]);
  });
});
