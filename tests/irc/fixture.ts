/** A test server with the IRC gateway on a free port, and accounts that can log in to it. */
import type { Config } from "../../src/server/config.ts";
import { type Account, register, unique } from "../support/client.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

export const PASSWORD = "correct horse";

export interface IrcServer extends TestServer {
  ircPort: number;
}

export async function startIrcServer(overrides: Partial<Config> = {}): Promise<IrcServer> {
  const server = await startTestServer({ ircPort: 0, ...overrides });
  const url = server.ircUrls.find((u) => u.startsWith("irc://")) as string;
  return { ...server, ircPort: Number(new URL(url).port) };
}

export interface Person extends Account {
  name: string;
  password: string;
}

export async function person(base: string, prefix = "u"): Promise<Person> {
  const name = unique(prefix);
  const account = await register(base, name, PASSWORD);
  return { ...account, name, password: PASSWORD };
}
