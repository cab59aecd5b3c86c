/** One client installation for E2EE tests: a connection, its SecureDm and its own config directory. */
import { expect } from "bun:test";
import { join } from "node:path";
import { deviceFiles } from "../../src/client/device-files.ts";
import { Connection } from "../../src/client-core/connection.ts";
import { type DmContent, type KeyChange, SecureDm } from "../../src/client-core/secure-dm.ts";
import type { Message } from "../../src/protocol/index.ts";
import type { Account } from "../support/client.ts";

export interface Device {
  conn: Connection;
  dm: SecureDm;
  dir: string;
  got: { from: string; seq: number; room: number; message: Message; content: DmContent }[];
  keys: KeyChange[];
  held: string[];
  /** The texts shown as their sender's words. */
  texts(): string[];
  close(): void;
}

let counter = 0;

/** Starts a device in `dir` (a new one under `root` when not given) and waits until it is set up. */
export async function startDevice(
  server: string,
  account: Account,
  root: string,
  dir?: string,
): Promise<Device> {
  const home = dir ?? join(root, `d${++counter}`);
  const conn = new Connection({ server, token: account.token });
  const files = deviceFiles(home, server, account.user.id);
  const dm = new SecureDm({
    conn,
    identities: files.identities,
    keyBook: files.keyBook,
    restoredKeys: files.restoredKeys,
  });
  const d: Device = {
    conn,
    dm,
    dir: home,
    got: [],
    keys: [],
    held: [],
    texts: () => d.got.flatMap((g) => (g.content.kind === "text" ? [g.content.text] : [])),
    close: () => {
      dm.close();
      conn.close();
    },
  };
  dm.on("message", (m: Message, content) =>
    d.got.push({ from: m.from.name, seq: m.seq, room: m.room, message: m, content }),
  );
  dm.on("keys", (k) => d.keys.push(k));
  dm.on("held", (_peer, body) => d.held.push(body));
  conn.start();
  expect(await dm.start()).toEqual({ ok: true });
  return d;
}
