/** The command line, parsed into one typed command. Only client.ts calls this. */
import type { SessionsAction } from "./account-commands.ts";
import { parseServerList } from "./server-url.ts";

export type Command =
  | { kind: "interactive" }
  | { kind: "login"; user: string | undefined; passwordStdin: boolean }
  | {
      kind: "send";
      /** A room by name, or a person for an encrypted private message. */
      target: { room: string } | { to: string };
      text: string | undefined;
      timeoutSeconds: number;
    }
  | {
      kind: "tail";
      /** A room by name, or the encrypted private conversation with a person. */
      target: { room: string } | { to: string };
      json: boolean;
      /** Where to start: after a seq, only new messages, or (undefined) the recent history. */
      since: number | "new" | undefined;
    }
  | { kind: "logout" }
  | { kind: "sessions"; action: SessionsAction }
  | { kind: "password"; passwordStdin: boolean }
  | { kind: "delete-account"; passwordStdin: boolean }
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "error"; message: string };

export interface ParsedArgs {
  command: Command;
  /** Every --server, split at commas, as base URLs (wss:// read as https://), when given. */
  servers: string[] | undefined;
  /** --ca FILE: a private CA to trust, as given (client.ts reads it). */
  ca: string | undefined;
  /** --insecure: skip certificate verification (development only; client.ts warns). */
  insecure: boolean;
  /** --theme NAME|FILE: a built-in terminal theme or a theme file (docs/client.md). */
  theme: string | undefined;
  /** --no-color: no colour escapes at all, whatever the theme. */
  noColor: boolean;
}

export const USAGE = `Usage:
  parley [--server URL]                       the interactive client (needs a terminal)
  parley login --server URL --user NAME --password-stdin
  parley send --room NAME [--timeout S] TEXT  send TEXT (or stdin) to a room
  parley send --to USER [--timeout S] TEXT    send USER an end-to-end encrypted message
  parley tail --room NAME [--json] [--since SEQ | --new]
                                              print a room's messages as they arrive:
                                              first the recent ones (up to 50), or those
                                              after SEQ, or (--new) only new ones
  NAME is "lounge" or "#lounge"; "@bob" means the private conversation with bob.
  parley logout [--server URL]                forget the saved session and revoke it
  parley sessions                             list your sessions (* marks this one)
  parley sessions revoke ID | --all           revoke one, or every session but this one
  parley password --password-stdin            change the password (stdin: current, then new);
                                              every other session is logged out
  parley delete-account --password-stdin      delete your account for good (stdin: password);
                                              your messages stay, under "deleted-ID"
  parley --version | --help

Options for every command:
  --server URL[,URL...]  the server: http(s):// or ws(s)://; several nodes of one
                         deployment, comma-separated or repeated, are tried in turn
  --ca FILE              trust this CA certificate (PEM) instead of the public ones
  --insecure             do not verify the server's certificate (development only)
  --theme NAME|FILE      the terminal theme: default, light-terminal, high-contrast,
                         no-color, or a theme file (default: theme.json in the config
                         directory if there is one)
  --no-color             no colours (as does NO_COLOR, unless a theme is chosen)

The server defaults to the one last logged in to, then http://127.0.0.1:3000.
Sessions are kept in $XDG_CONFIG_HOME/parley (or ~/.config/parley).`;

const FLAGS_WITH_VALUE = new Set([
  "--server",
  "--user",
  "--room",
  "--to",
  "--since",
  "--timeout",
  "--ca",
  "--theme",
]);
const SWITCHES = new Set([
  "--password-stdin",
  "--json",
  "--insecure",
  "--new",
  "--all",
  "--no-color",
]);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const values = new Map<string, string>();
  const switches = new Set<string>();
  const positional: string[] = [];
  const serverValues: string[] = [];
  let servers: string[] | undefined;
  const result = (command: Command): ParsedArgs => ({
    command,
    servers,
    ca: values.get("--ca"),
    insecure: switches.has("--insecure"),
    theme: values.get("--theme"),
    noColor: switches.has("--no-color"),
  });
  const fail = (message: string): ParsedArgs => result({ kind: "error", message });

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "--help" || arg === "-h") return result({ kind: "help" });
    if (arg === "--version" || arg === "-v") return result({ kind: "version" });
    if (!arg.startsWith("--") || arg === "-") {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    if (SWITCHES.has(name)) {
      switches.add(name);
    } else if (FLAGS_WITH_VALUE.has(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === "") return fail(`${name} needs a value`);
      if (name === "--server") serverValues.push(value);
      else values.set(name, value);
    } else {
      return fail(`unknown option ${name}`);
    }
  }
  if (serverValues.length > 0) {
    const list = parseServerList(serverValues);
    if (!list.ok) return fail(list.message);
    servers = list.servers;
  }
  if (values.has("--ca") && switches.has("--insecure")) {
    return fail("--ca and --insecure do not go together: --insecure checks no certificate at all");
  }

  const [sub, ...rest] = positional;
  const room = values.get("--room");
  /** "#lounge" is the room lounge, and "@bob" the private conversation with bob. */
  const where = (name: string): { room: string } | { to: string } =>
    name.startsWith("@") ? { to: name.slice(1) } : { room: name.replace(/^#/, "") };
  switch (sub) {
    case undefined:
      return result({ kind: "interactive" });
    case "login":
      if (rest.length > 0) return fail(`unexpected argument "${rest[0]}"`);
      return result({
        kind: "login",
        user: values.get("--user"),
        passwordStdin: switches.has("--password-stdin"),
      });
    case "send": {
      const to = values.get("--to");
      if (!room === !to) return fail("send needs --room NAME or --to USER (one of them)");
      const timeout = values.get("--timeout") ?? "30";
      if (!/^\d+$/.test(timeout) || Number(timeout) < 1) {
        return fail("--timeout must be a whole number of seconds, at least 1");
      }
      const text = rest.length > 0 ? rest.join(" ") : undefined;
      const target = room ? where(room) : { to: (to as string).replace(/^@/, "") };
      return result({ kind: "send", target, text, timeoutSeconds: Number(timeout) });
    }
    case "tail": {
      if (!room) return fail("tail needs --room NAME");
      if (rest.length > 0) return fail(`unexpected argument "${rest[0]}"`);
      const since = values.get("--since");
      if (since !== undefined && !/^\d+$/.test(since)) {
        return fail("--since must be a message sequence number (0 or more)");
      }
      if (since !== undefined && switches.has("--new")) {
        return fail("--since and --new do not go together: --new starts after the last message");
      }
      return result({
        kind: "tail",
        target: where(room),
        json: switches.has("--json"),
        since: switches.has("--new") ? "new" : since === undefined ? undefined : Number(since),
      });
    }
    case "logout":
      if (rest.length > 0) return fail(`unexpected argument "${rest[0]}"`);
      return result({ kind: "logout" });
    case "sessions": {
      const [verb, id, ...extra] = rest;
      if (verb === undefined) return result({ kind: "sessions", action: { kind: "list" } });
      if (verb !== "revoke") return fail(`unknown sessions command "${verb}" (try: revoke)`);
      if (extra.length > 0) return fail(`unexpected argument "${extra[0]}"`);
      if (switches.has("--all") === (id !== undefined)) {
        return fail("sessions revoke needs a session ID or --all (one of them)");
      }
      const action: SessionsAction = id === undefined ? { kind: "all" } : { kind: "revoke", id };
      return result({ kind: "sessions", action });
    }
    case "password":
      if (rest.length > 0) return fail(`unexpected argument "${rest[0]}"`);
      return result({ kind: "password", passwordStdin: switches.has("--password-stdin") });
    case "delete-account":
      if (rest.length > 0) return fail(`unexpected argument "${rest[0]}"`);
      return result({ kind: "delete-account", passwordStdin: switches.has("--password-stdin") });
    default:
      return fail(`unknown command "${sub}"`);
  }
}
