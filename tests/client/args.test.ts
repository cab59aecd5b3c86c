import { describe, expect, it } from "bun:test";
import { parseArgs } from "../../src/client/args.ts";

describe("parseArgs", () => {
  it("should read tail with --json and --since", () => {
    expect(parseArgs(["tail", "--room", "lobby", "--json", "--since=12"])).toEqual({
      command: { kind: "tail", target: { room: "lobby" }, json: true, since: 12 },
      servers: undefined,
      ca: undefined,
      insecure: false,
      theme: undefined,
      noColor: false,
    });
  });

  it("should read --room as the UI writes it: #lounge a room, @bob a private conversation", () => {
    expect(parseArgs(["tail", "--room", "#lounge"]).command).toEqual({
      kind: "tail",
      target: { room: "lounge" },
      json: false,
      since: undefined,
    });
    expect(parseArgs(["tail", "--room", "@bob", "--new"]).command).toEqual({
      kind: "tail",
      target: { to: "bob" },
      json: false,
      since: "new",
    });
    expect(parseArgs(["send", "--room", "@bob", "hi"]).command).toEqual({
      kind: "send",
      target: { to: "bob" },
      text: "hi",
      timeoutSeconds: 30,
    });
    expect(parseArgs(["tail", "--room", "x", "--new", "--since", "3"]).command.kind).toBe("error");
  });

  it("should read --theme NAME and --no-color for every command", () => {
    expect(parseArgs(["--theme", "light-terminal", "--no-color"])).toMatchObject({
      command: { kind: "interactive" },
      theme: "light-terminal",
      noColor: true,
    });
    expect(parseArgs(["--theme"]).command.kind).toBe("error");
  });

  it("should join the words of send into one message", () => {
    expect(parseArgs(["--server", "http://h:1", "send", "--room", "x", "hi", "there"])).toEqual({
      command: { kind: "send", target: { room: "x" }, text: "hi there", timeoutSeconds: 30 },
      servers: ["http://h:1"],
      ca: undefined,
      insecure: false,
      theme: undefined,
      noColor: false,
    });
  });

  it("should refuse a server that is not an http or ws URL", () => {
    expect(parseArgs(["--server", "ftp://x"]).command).toEqual({
      kind: "error",
      message: '--server takes http://, https://, ws:// or wss:// URLs, not "ftp://x"',
    });
  });

  it("should read wss:// as the same server as https://", () => {
    expect(parseArgs(["--server", "wss://chat.example:8443/ws"]).servers).toEqual([
      "https://chat.example:8443",
    ]);
  });

  it("should collect several servers, comma-separated or repeated, in order and once each", () => {
    const parsed = parseArgs([
      "--server",
      "https://a:1,https://b:2",
      "--server=https://c:3",
      "--server",
      "https://A:1/",
      "tail",
      "--room",
      "x",
    ]);
    expect(parsed.servers).toEqual(["https://a:1", "https://b:2", "https://c:3"]);
  });

  it("should read --ca FILE and --insecure, but refuse them together", () => {
    expect(parseArgs(["--ca", "ca.pem", "logout"])).toMatchObject({
      ca: "ca.pem",
      insecure: false,
    });
    expect(parseArgs(["--insecure", "logout"])).toMatchObject({ ca: undefined, insecure: true });
    expect(parseArgs(["--insecure", "--ca", "ca.pem"]).command).toMatchObject({
      kind: "error",
      message: expect.stringContaining("--ca and --insecure do not go together"),
    });
  });

  it("should refuse send without --room or --to, or with both", () => {
    const refusal = {
      kind: "error" as const,
      message: "send needs --room NAME or --to USER (one of them)",
    };
    expect(parseArgs(["send", "hi"]).command).toEqual(refusal);
    expect(parseArgs(["send", "--room", "r", "--to", "bob", "hi"]).command).toEqual(refusal);
  });

  it("should read send --to USER as a private message", () => {
    expect(parseArgs(["send", "--to", "bob", "--timeout", "5", "psst"]).command).toEqual({
      kind: "send",
      target: { to: "bob" },
      text: "psst",
      timeoutSeconds: 5,
    });
  });
});
