/** The command line, parsed into one typed command. Only client.ts calls this. */

export type Command =
  | { kind: "interactive" }
  | { kind: "login"; user: string | undefined; passwordStdin: boolean }
  | { kind: "send"; room: string; text: string | undefined; timeoutSeconds: number }
  | { kind: "tail"; room: string; json: boolean; since: number | undefined }
  | { kind: "logout" }
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "error"; message: string };

export interface ParsedArgs {
  command: Command;
  /** --server, when given. */
  server: string | undefined;
}

export const USAGE = `Usage:
  parley [--server URL]                       the interactive client (needs a terminal)
  parley login --server URL --user NAME --password-stdin
  parley send --room NAME [--timeout S] TEXT  send TEXT (or stdin) to a room
  parley tail --room NAME [--json] [--since SEQ]
                                              print a room's messages as they arrive
  parley logout [--server URL]                forget the saved session and revoke it
  parley --version | --help

The server defaults to the one last logged in to, then http://127.0.0.1:3000.
Sessions are kept in $XDG_CONFIG_HOME/parley (or ~/.config/parley).`;

const FLAGS_WITH_VALUE = new Set(["--server", "--user", "--room", "--since", "--timeout"]);
const SWITCHES = new Set(["--password-stdin", "--json"]);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const values = new Map<string, string>();
  const switches = new Set<string>();
  const positional: string[] = [];
  let server: string | undefined;
  const fail = (message: string): ParsedArgs => ({
    command: { kind: "error", message },
    server,
  });

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "--help" || arg === "-h") return { command: { kind: "help" }, server };
    if (arg === "--version" || arg === "-v") return { command: { kind: "version" }, server };
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
      if (name === "--server") server = value;
      else values.set(name, value);
    } else {
      return fail(`unknown option ${name}`);
    }
  }
  if (server !== undefined) {
    try {
      const url = new URL(server);
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error();
    } catch {
      return fail(`--server must be an http:// or https:// URL, not "${server}"`);
    }
  }

  const [sub, ...rest] = positional;
  const room = values.get("--room");
  switch (sub) {
    case undefined:
      return { command: { kind: "interactive" }, server };
    case "login":
      if (rest.length > 0) return fail(`unexpected argument "${rest[0]}"`);
      return {
        command: {
          kind: "login",
          user: values.get("--user"),
          passwordStdin: switches.has("--password-stdin"),
        },
        server,
      };
    case "send": {
      if (!room) return fail("send needs --room NAME");
      const timeout = values.get("--timeout") ?? "30";
      if (!/^\d+$/.test(timeout) || Number(timeout) < 1) {
        return fail("--timeout must be a whole number of seconds, at least 1");
      }
      const text = rest.length > 0 ? rest.join(" ") : undefined;
      return {
        command: { kind: "send", room, text, timeoutSeconds: Number(timeout) },
        server,
      };
    }
    case "tail": {
      if (!room) return fail("tail needs --room NAME");
      if (rest.length > 0) return fail(`unexpected argument "${rest[0]}"`);
      const since = values.get("--since");
      if (since !== undefined && !/^\d+$/.test(since)) {
        return fail("--since must be a message sequence number (0 or more)");
      }
      return {
        command: {
          kind: "tail",
          room,
          json: switches.has("--json"),
          since: since === undefined ? undefined : Number(since),
        },
        server,
      };
    }
    case "logout":
      if (rest.length > 0) return fail(`unexpected argument "${rest[0]}"`);
      return { command: { kind: "logout" }, server };
    default:
      return fail(`unknown command "${sub}"`);
  }
}
