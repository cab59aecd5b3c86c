import { afterAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { runParley, spawnTail, type TailLine } from "../client/cli.ts";
import { register, unique } from "../support/client.ts";
import { tempDir } from "../support/server.ts";
import { TEST_TIMEOUT_MS } from "../support/setup.ts";
import {
  browserSuite,
  chromiumGate,
  createRoomInPage,
  eventually,
  openPage,
  registerInPage,
  sendInPage,
  shownMessages,
} from "./browser.ts";

setDefaultTimeout(TEST_TIMEOUT_MS);

const gate = chromiumGate();

describe.skipIf(gate.skip)("the browser client with the terminal client", () => {
  const web = browserSuite("cross-client");
  const config = tempDir("parley-web-cross-config-");
  const env = { ...process.env, XDG_CONFIG_HOME: config.path };
  afterAll(() => config.remove());

  it("lets a browser user and a `parley send`/`parley tail` user chat: each sees every message once, in order", async () => {
    const context = await web.context({ viewport: { width: 1280, height: 800 } });
    const alice = await openPage(context, web.server.url);
    const [aliceName, bobName, room] = [unique("alice"), unique("bob"), unique("mixed")];
    await registerInPage(alice.page, aliceName);
    await createRoomInPage(alice.page, room);

    await register(web.server.url, bobName, "correct horse");
    const login = await runParley(
      ["login", "--server", web.server.url, "--user", bobName, "--password-stdin"],
      env,
      "correct horse\n",
    );
    expect(login.code).toBe(0);
    // bob's terminal follows the room from its start (and joins it).
    const tail = spawnTail(["--room", room, "--since", "0"], env);
    web.cleanups.push(() => tail.stop());
    await alice.page.getByText(`${bobName} joined`, { exact: true }).waitFor({ timeout: 30_000 });

    const sent = await runParley(["send", "--room", room, "hello from the terminal"], env);
    expect(sent).toMatchObject({ code: 0, stderr: "" });
    await alice.page.locator(".msg", { hasText: "hello from the terminal" }).waitFor();
    await sendInPage(alice.page, "hello from the browser");
    const entry = (l: TailLine) => l.event ?? l.body;
    expect((await tail.lines(3)).map(entry)).toEqual([
      "join",
      "hello from the terminal",
      "hello from the browser",
    ]);
    const piped = await runParley(["send", "--room", room], env, "and back again\n");
    expect(piped.code).toBe(0);

    const expected = [
      `${bobName}: hello from the terminal`,
      `${aliceName}: hello from the browser`,
      `${bobName}: and back again`,
    ];
    await eventually(async () => expect(await shownMessages(alice.page)).toEqual(expected));
    const lines = await tail.lines(4);
    expect(lines.map(entry)).toEqual([
      "join",
      "hello from the terminal",
      "hello from the browser",
      "and back again",
    ]);
    // Seq 1 is bob's join, an event of the room's log, which tail prints as well.
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3, 4]);
    // Nothing arrives twice on either side afterwards (a late duplicate would show here).
    await Bun.sleep(500);
    expect(await shownMessages(alice.page)).toEqual(expected);
    expect((await tail.lines(4)).length).toBe(4);
    expect(alice.errors).toEqual([]);
  });
});
