import { describe, expect, it, setDefaultTimeout } from "bun:test";
import type { Page } from "playwright-core";
import { unique } from "../support/client.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import { browserSuite, chromiumGate, eventually, openPage, shownMessages } from "./browser.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();

/** What assistive technology would call the focused element: its label, or its text. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return "";
    const label =
      el.getAttribute("aria-label") ?? (el as HTMLInputElement).labels?.[0]?.textContent;
    return (label ?? el.textContent ?? "").trim();
  });
}

/** Presses Tab until the focused element is called `name`: reachable by keyboard, or fails. */
async function tabTo(page: Page, name: string | RegExp): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press("Tab");
    const now = await focused(page);
    if (typeof name === "string" ? now === name : name.test(now)) return;
    seen.push(now);
  }
  throw new Error(`Tab never reached "${name}"; it went through: ${seen.join(" → ")}`);
}

describe.skipIf(gate.skip)("the browser client by keyboard alone", () => {
  const web = browserSuite("keyboard");

  it("registers, creates a room, sends a message, switches theme and opens the menu on a phone, with Tab, typing and Enter", async () => {
    const context = await web.context({ viewport: { width: 1440, height: 900 } });
    const { page, errors } = await openPage(context, web.server.url);
    const [name, room] = [unique("kb"), unique("keys")];

    await tabTo(page, "Register");
    await page.keyboard.press("Enter");
    await tabTo(page, "Username");
    await page.keyboard.type(name);
    await tabTo(page, "Password");
    await page.keyboard.type("correct horse");
    await page.keyboard.press("Enter");
    await page.getByRole("main", { name: "Conversation" }).waitFor();

    await tabTo(page, "Create or join a room");
    await page.keyboard.press("Enter");
    await tabTo(page, "Room name");
    await page.keyboard.type(room);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: `#${room}` }).waitFor();

    await tabTo(page, `Message #${room}`);
    await page.keyboard.type("typed, never clicked");
    await page.keyboard.press("Enter");
    await eventually(async () =>
      expect(await shownMessages(page)).toEqual([`${name}: typed, never clicked`]),
    );

    const theme = () => page.evaluate(() => document.documentElement.dataset.theme ?? "");
    const before = await theme();
    await tabTo(page, /theme/i);
    await page.keyboard.press("Enter");
    await eventually(async () => expect(await theme()).not.toBe(before));

    await page.setViewportSize({ width: 375, height: 740 });
    await tabTo(page, "Show conversations");
    await page.keyboard.press("Enter");
    await page.getByRole("navigation", { name: "Conversations" }).waitFor({ state: "visible" });
    await page.keyboard.press("Escape");
    await eventually(async () =>
      expect(await page.getByRole("button", { name: "Show conversations" }).isVisible()).toBe(true),
    );
    expect(errors).toEqual([]);
  });
});
