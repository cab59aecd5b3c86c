#!/usr/bin/env bun
/**
 * parley: the terminal client. The only module that reads argv and the environment; it picks
 * the command, resolves the servers, the config directory and the TLS trust (reading the --ca
 * file), and hands typed values down.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import pkg from "./package.json" with { type: "json" };
import * as account from "./src/client/account-commands.ts";
import { runInteractive } from "./src/client/app.ts";
import { parseArgs, USAGE } from "./src/client/args.ts";
import * as scripts from "./src/client/scripts.ts";
import { SessionStore } from "./src/client/session-store.ts";
import { chooseTheme, isBuiltIn, isPlain } from "./src/client/theme.ts";
import { createTransport, type Trust } from "./src/client/transport.ts";

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
const servers = parsed.servers ?? sessions.currentServers() ?? [DEFAULT_SERVER];

// TLS trust: --insecure, else --ca, else the CA remembered from login, else the system's.
// Never a silent downgrade: an untrusted certificate is refused unless --insecure says otherwise.
const caPath = parsed.ca !== undefined ? resolve(parsed.ca) : sessions.get(servers)?.ca;
let trust: Trust = { kind: "system" };
if (parsed.insecure) {
  process.stderr.write(
    "parley: warning: --insecure: the server's certificate is not checked, so anyone on the " +
      "network path can read and change this session. Use it for development only.\n",
  );
  trust = { kind: "insecure" };
} else if (caPath !== undefined) {
  const pem = readCa(caPath, parsed.ca !== undefined);
  trust = { kind: "ca", pem };
}
const transport = createTransport(trust);
const theme = chooseTheme({
  noColorFlag: parsed.noColor,
  flag: parsed.theme === undefined ? undefined : themeFlag(parsed.theme),
  configFile: configTheme(join(configHome, "parley", "theme.json")),
  noColorEnv: Boolean(process.env.NO_COLOR),
});
if (typeof theme === "string") {
  console.error(`parley: ${theme}`);
  process.exit(2);
}
// The prompts (clack, through node:util styleText) read NO_COLOR themselves.
if (isPlain(theme)) process.env.NO_COLOR = "1";

/** --theme: a built-in name as is, else a file to read (exit 2 if it cannot be). */
function themeFlag(name: string): { name: string; text?: string } {
  if (isBuiltIn(name)) return { name };
  try {
    return { name, text: readFileSync(resolve(name), "utf8").slice(0, 65_536) };
  } catch (err) {
    const code = (err as { code?: string }).code ?? String(err);
    if (code === "ENOENT" && !/[./]/.test(name)) return { name };
    console.error(`parley: cannot read --theme file ${name} (${code}).`);
    process.exit(2);
  }
}

/** The config directory's theme.json, when there is one. */
function configTheme(path: string): { path: string; text: string } | undefined {
  try {
    return { path, text: readFileSync(path, "utf8").slice(0, 65_536) };
  } catch {
    return undefined;
  }
}

/** The CA file's text, or exit 2 with the reason: a bad --ca must not fall back to anything. */
function readCa(path: string, given: boolean): string {
  const flag = given ? "--ca" : "the CA remembered from login";
  let pem: string;
  try {
    pem = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as { code?: string }).code ?? String(err);
    console.error(`parley: cannot read ${flag} file ${path} (${code}).`);
    process.exit(2);
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    console.error(`parley: ${flag} file ${path} holds no PEM certificate (BEGIN CERTIFICATE).`);
    process.exit(2);
  }
  return pem;
}

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
// The CA in use is remembered with the session at login, so later commands need no --ca.
const ca = parsed.insecure ? undefined : caPath;
const context: scripts.ScriptContext = { servers, sessions, io, transport, ...(ca ? { ca } : {}) };

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
      code = await scripts.send(context, command.target, command.text, command.timeoutSeconds);
      break;
    case "tail":
      code = await scripts.tail(context, command.target, command.json, command.since);
      break;
    case "sessions":
      code = await account.sessions(context, command.action);
      break;
    case "password":
      code = await account.password(context, command.passwordStdin);
      break;
    case "delete-account":
      code = await account.deleteAccount(context, command.passwordStdin);
      break;
    case "interactive":
      code = await runInteractive({
        servers,
        sessions,
        transport,
        ...(ca ? { ca } : {}),
        input: process.stdin,
        output: process.stdout,
        error: (text) => process.stderr.write(`${text}\n`),
        color: !isPlain(theme),
        theme,
      });
      break;
  }
} catch (err) {
  // Anything unexpected still ends with one readable line, never a stack trace.
  console.error(`parley: ${err instanceof Error ? err.message : String(err)}`);
  code = 1;
}
process.exit(code);
