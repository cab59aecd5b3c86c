#!/usr/bin/env bun
/**
 * parley: the terminal client. The only module that reads argv and the environment; it picks
 * the command, resolves the server and the config directory, and hands typed values down.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import pkg from "./package.json" with { type: "json" };
import { runInteractive } from "./src/client/app.ts";
import { parseArgs, USAGE } from "./src/client/args.ts";
import * as scripts from "./src/client/scripts.ts";
import { SessionStore } from "./src/client/session-store.ts";

const DEFAULT_SERVER = "http://127.0.0.1:3000";

const parsed = parseArgs(process.argv.slice(2));
const command = parsed.command;
switch (command.kind) {
  case "help":
    console.log(USAGE);
    process.exit(0);
    break;
  case "version":
    console.log(`parley ${pkg.version}`);
    process.exit(0);
    break;
  case "error":
    console.error(`parley: ${command.message}\n\n${USAGE}`);
    process.exit(2);
}

const configHome = process.env.XDG_CONFIG_HOME || join(homedir(), ".config");
const sessions = new SessionStore(join(configHome, "parley"));
const server = parsed.server ?? sessions.currentServer() ?? DEFAULT_SERVER;

// `parley tail | head` closes the pipe: that is a normal way to stop, not an error.
process.stdout.on("error", () => process.exit(0));
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => process.exit(signal === "SIGINT" ? 130 : 0));
}

const io: scripts.ScriptIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  readStdin: () => Bun.stdin.text(),
};
const context: scripts.ScriptContext = { server, sessions, io };

let code: number;
try {
  switch (command.kind) {
    case "login":
      code = await scripts.login(context, command.user, command.passwordStdin);
      break;
    case "logout":
      code = await scripts.logout(context);
      break;
    case "send":
      code = await scripts.send(context, command.room, command.text, command.timeoutSeconds);
      break;
    case "tail":
      code = await scripts.tail(context, command.room, command.json, command.since);
      break;
    case "interactive":
      code = await runInteractive({
        server,
        sessions,
        input: process.stdin,
        output: process.stdout,
        error: (text) => process.stderr.write(`${text}\n`),
        color: !process.env.NO_COLOR,
      });
      break;
  }
} catch (err) {
  // Anything unexpected still ends with one readable line, never a stack trace.
  console.error(`parley: ${err instanceof Error ? err.message : String(err)}`);
  code = 1;
}
process.exit(code);
