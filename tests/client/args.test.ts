import { describe, expect, it } from "bun:test";
import { parseArgs } from "../../src/client/args.ts";

describe("parseArgs", () => {
  it("should read tail with --json and --since", () => {
    expect(parseArgs(["tail", "--room", "lobby", "--json", "--since=12"])).toEqual({
      command: { kind: "tail", room: "lobby", json: true, since: 12 },
      server: undefined,
    });
  });

  it("should join the words of send into one message", () => {
    expect(parseArgs(["--server", "http://h:1", "send", "--room", "x", "hi", "there"])).toEqual({
      command: { kind: "send", room: "x", text: "hi there", timeoutSeconds: 30 },
      server: "http://h:1",
    });
  });

  it("should refuse a server that is not an http URL", () => {
    expect(parseArgs(["--server", "ftp://x"]).command).toEqual({
      kind: "error",
      message: '--server must be an http:// or https:// URL, not "ftp://x"',
    });
  });

  it("should refuse send without --room", () => {
    expect(parseArgs(["send", "hi"]).command).toEqual({
      kind: "error",
      message: "send needs --room NAME",
    });
  });
});
