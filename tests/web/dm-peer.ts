/**
 * The two sides of a DM test: the terminal client's code in the test process (a connection,
 * SecureDm with its 0600 files, a FileTransfer) and a browser user who opens the DM.
 */
import { expect } from "bun:test";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { deviceFiles } from "../../src/client/device-files.ts";
import { Connection } from "../../src/client-core/connection.ts";
import { FileTransfer } from "../../src/client-core/file-transfer.ts";
import { type DmContent, SecureDm } from "../../src/client-core/secure-dm.ts";
import type { Message } from "../../src/protocol/index.ts";
import type { Account } from "../support/client.ts";
import { type BrowserSuite, registerInPage } from "./browser.ts";

export interface Terminal {
  conn: Connection;
  dm: SecureDm;
  transfer: FileTransfer;
  identityPath: string;
  got: { from: string; room: number; content: DmContent }[];
  texts(): string[];
}

/**
 * A terminal installation of `account`, with its config in `home`, started and ready; its
 * teardown goes on `cleanups`.
 */
export async function terminalPeer(o: {
  server: string;
  home: string;
  account: Account;
  cleanups: (() => void)[];
}): Promise<Terminal> {
  const conn = new Connection({ server: o.server, token: o.account.token });
  const files = deviceFiles(o.home, o.server, o.account.user.id);
  const dm = new SecureDm({ conn, identities: files.identities, keyBook: files.keyBook });
  const t: Terminal = {
    conn,
    dm,
    transfer: new FileTransfer({ server: () => conn.server, token: o.account.token }),
    identityPath: files.identityPath,
    got: [],
    texts: () => t.got.flatMap((g) => (g.content.kind === "text" ? [g.content.text] : [])),
  };
  dm.on("message", (m: Message, content) =>
    t.got.push({ from: m.from.name, room: m.room, content }),
  );
  conn.start();
  expect(await dm.start()).toEqual({ ok: true });
  o.cleanups.push(() => {
    dm.close();
    conn.close();
  });
  return t;
}

let homes = 0;

/** A terminal peer of `account` for a browser suite's test: a new home in the suite's folder. */
export function suiteTerminal(web: BrowserSuite, account: Account): Promise<Terminal> {
  const home = join(web.dir.path, `home${++homes}`);
  return terminalPeer({ server: web.server.url, home, account, cleanups: web.cleanups });
}

/** Registers in the page and opens the DM with `peer` through "Message someone", ready to seal. */
export async function browserUserWritingTo(p: Page, name: string, peer: string): Promise<number> {
  await registerInPage(p, name);
  const menu = p.getByRole("button", { name: "Show conversations" });
  if (await menu.isVisible()) await menu.click();
  await p.getByRole("button", { name: "Message someone" }).click();
  await p.getByLabel("Username").fill(peer);
  await p.getByRole("button", { name: "Open", exact: true }).click();
  await p.getByRole("heading", { name: peer, exact: true }).waitFor();
  await p.getByText("end-to-end encrypted").first().waitFor();
  const room = await p.locator(".conversation[aria-current=page]").getAttribute("data-room");
  return Number(room);
}
