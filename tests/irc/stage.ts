/**
 * The stage of the channel and message tests: one server process per test file, IRC and
 * WebSocket clients closed after it, and a room with an IRC member and a WebSocket member.
 */
import { afterAll, beforeAll } from "bun:test";
import { api, connect, joinRoom, type TestSocket, unique } from "../support/client.ts";
import { type IrcServer, type Person, person, startIrcServer } from "./fixture.ts";
import { type IrcTestClient, loginIrc } from "./irc-client.ts";

export const ALL_CAPS = [
  "server-time",
  "message-tags",
  "echo-message",
  "account-tag",
  "away-notify",
  "batch",
  "labeled-response",
  "draft/chathistory",
];

export interface Stage {
  readonly server: IrcServer;
  irc(p: Person, caps?: string[]): Promise<IrcTestClient>;
  ws(p: Person): Promise<TestSocket>;
  scene(topic?: string): Promise<Scene>;
}

export interface Scene {
  owner: Person;
  name: string;
  channel: string;
  room: number;
  ircUser: Person;
  web: TestSocket;
}

/** Starts the server before the file's tests and stops it, and every client, after them. */
export function useStage(): Stage {
  let server: IrcServer | undefined;
  const closers: (() => unknown)[] = [];
  beforeAll(async () => {
    server = await startIrcServer();
  });
  afterAll(async () => {
    for (const close of closers) close();
    await server?.close();
  });
  const stage: Stage = {
    get server() {
      return server as IrcServer;
    },
    async irc(p, caps = ALL_CAPS) {
      const c = await loginIrc(stage.server.ircPort, p, caps);
      closers.push(() => c.close());
      return c;
    },
    async ws(p) {
      const s = await connect(stage.server.wsUrl, p.token);
      closers.push(() => s.close());
      return s;
    },
    /** A room made by its owner over HTTP, with the IRC user and a WebSocket user in it. */
    async scene(topic = "") {
      const url = stage.server.url;
      const owner = await person(url, "w");
      const name = unique("room");
      const res = await api<{ room: { id: number } }>(
        url,
        "POST",
        "/api/rooms",
        { name, topic },
        owner.token,
      );
      const room = res.body.room.id;
      const ircUser = await person(url, "i");
      await joinRoom(url, ircUser.token, room);
      const web = await stage.ws(owner);
      await web.request({ type: "join", room });
      return { owner, name, channel: `#${name}`, room, ircUser, web };
    },
  };
  return stage;
}
