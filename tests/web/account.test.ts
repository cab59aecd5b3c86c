/**
 * The browser's account dialog: its sessions (this one marked), revoking another, logging out
 * everywhere else, changing the password, and deleting the account; and the page's socket opened with a ticket, the
 * session token never in a URL, under the server's strict CSP with no violations.
 */
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { api, connect } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { browserSuite, chromiumGate, eventually, openPage, registerInPage } from "./browser.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();

describe.skipIf(gate.skip)("the browser's account dialog", () => {
  const web = browserSuite("account");

  it("lists and revokes sessions, logs out elsewhere and changes the password", async () => {
    const context = await web.browser.newContext({ viewport: { width: 1440, height: 900 } });
    const { page, errors } = await openPage(context, web.server.url);
    const sockets: string[] = [];
    const consoleErrors: string[] = [];
    page.on("websocket", (ws) => sockets.push(ws.url()));
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    const name = `acc${Date.now().toString(36)}`;
    await registerInPage(page, name);
    const token = await page.evaluate(() => {
      for (let i = 0; i < localStorage.length; i++) {
        const value = localStorage.getItem(localStorage.key(i) as string) ?? "";
        const match = /"token":"([^"]+)"/.exec(value);
        if (match) return match[1] as string;
      }
      return "";
    });
    // Two more sessions elsewhere, one with a socket open.
    const login = () =>
      api<{ token: string }>(web.server.url, "POST", "/api/login", {
        username: name,
        password: "correct horse",
      });
    const [one, two] = [await login(), await login()];
    const ws = await connect(web.server.wsUrl, one.body.token);

    await page.getByRole("button", { name: "Account" }).click();
    const rows = page.locator("dialog.account-dialog li[data-session]");
    // The list loads (and reloads after each action) in the background: wait for it.
    const expectRows = (n: number) => eventually(async () => expect(await rows.count()).toBe(n));
    await expectRows(3);
    await page.locator("dialog.account-dialog li", { hasText: "(this browser)" }).waitFor();
    await page
      .getByRole("button", { name: /^Revoke session / })
      .first()
      .click();
    await page.getByText("Session revoked.").waitFor();
    await expectRows(2);
    await page.getByRole("button", { name: "Log out everywhere else" }).click();
    await page.getByText("Logged out 1 other session.").waitFor();
    expect((await ws.closed).code).toBe(4500);
    for (const t of [one.body.token, two.body.token]) {
      expect((await api(web.server.url, "GET", "/api/me", undefined, t)).status).toBe(401);
    }

    await page.getByLabel("Current password").fill("correct horse");
    await page.getByLabel("New password").fill("another good passphrase");
    await page.getByRole("button", { name: "Change", exact: true }).click();
    await page.getByText("Password changed; 0 other sessions were logged out.").waitFor();
    const relogin = await api(web.server.url, "POST", "/api/login", {
      username: name,
      password: "another good passphrase",
    });
    expect(relogin.status).toBe(200);

    expect(token).not.toBe("");
    expect(sockets.length).toBeGreaterThan(0);
    for (const url of sockets) {
      expect(url).toContain("ticket=");
      expect(url).not.toContain(token);
    }
    expect(errors).toEqual([]);
    expect(consoleErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
    await context.close();
  });
  it("deletes the account after its password: a wrong one is refused, then the page logs out", async () => {
    const context = await web.browser.newContext({ viewport: { width: 1440, height: 900 } });
    const { page, errors } = await openPage(context, web.server.url);
    const name = `del${Date.now().toString(36)}`;
    await registerInPage(page, name);
    const other = await api<{ token: string }>(web.server.url, "POST", "/api/login", {
      username: name,
      password: "correct horse",
    });
    await page.getByRole("button", { name: "Account" }).click();
    const dialog = page.locator("dialog.account-dialog");
    page.on("dialog", (d) => void d.accept());
    await dialog.getByLabel("Your password").fill("not the password");
    await dialog.getByRole("button", { name: "Delete my account" }).click();
    await dialog
      .getByRole("alert")
      .filter({ hasText: /password/i })
      .waitFor();
    expect((await api(web.server.url, "GET", "/api/me", undefined, other.body.token)).status).toBe(
      200,
    );

    await dialog.getByLabel("Your password").fill("correct horse");
    await dialog.getByRole("button", { name: "Delete my account" }).click();
    await page.getByRole("button", { name: "Log in" }).first().waitFor();
    expect((await api(web.server.url, "GET", "/api/me", undefined, other.body.token)).status).toBe(
      401,
    );
    const login = await api(web.server.url, "POST", "/api/login", {
      username: name,
      password: "correct horse",
    });
    expect(login.status).toBe(401);
    expect(errors).toEqual([]);
    await context.close();
  });
});
