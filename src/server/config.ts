/**
 * Server configuration: one table of options, each with its flag, environment variable, default
 * and check. Only server.ts calls parseConfig; everything else receives a typed Config.
 */
import { dirname, join } from "node:path";
import { LOG_LEVELS, type LogLevel } from "../log/log.ts";
import { PASSWORD_COSTS, type PasswordCost } from "./auth.ts";

export interface Config {
  /** @default 3000 */
  port: number;
  /** @default "127.0.0.1" */
  host: string;
  /** SQLite file. @default "data/parley.db" */
  db: string;
  /** @default "info" */
  logLevel: LogLevel;
  /** A connection that answers no ping within this many seconds is dropped. @default 30 */
  heartbeat: number;
  /** Largest WebSocket frame answered with a coded error rather than a close. @default 32768 */
  maxFrameBytes: number;
  /** Largest HTTP request body. @default 65536 */
  maxBodyBytes: number;
  /** Largest uploaded file (streamed; maxBodyBytes does not apply to uploads). @default 26214400 */
  maxUploadBytes: number;
  /** Where uploaded files are kept. @default "" (a files directory next to the SQLite file) */
  filesDir: string;
  /** Frames per second a connection may send, sustained. @default 20 */
  rate: number;
  /** Frames a connection may send in a burst. @default 60 */
  burst: number;
  /** Open WebSocket connections per user. @default 16 */
  maxConnectionsPerUser: number;
  /** Bytes queued to a client that is not reading before it is cut off. @default 4194304 */
  sendBufferBytes: number;
  /** Most messages replayed per room on resume; older ones are announced as a gap. @default 1000 */
  replayMax: number;
  /** Session lifetime in days. @default 30 */
  sessionDays: number;
  /** Login attempts per address in a burst; then one per 60/loginBurst s. @default 20 */
  loginBurst: number;
  /** Registrations per address in a burst; then one a minute. @default 5 */
  signupBurst: number;
  /** Open WebSocket connections per client address. @default 64 */
  maxConnectionsPerAddress: number;
  /** PEM certificate chain; with tlsKey, serves https and wss. @default "" (plain http) */
  tlsCert: string;
  /** PEM private key for tlsCert. @default "" */
  tlsKey: string;
  /** Browser origins allowed besides the server's own, comma-separated; "*" allows any. @default "" */
  allowedOrigins: string;
  /** postgres:// URL: use PostgreSQL instead of the SQLite file, so several nodes can share it. @default "" */
  databaseUrl: string;
  /** redis:// URL: carry messages between nodes over Redis pub/sub. @default "" (one node) */
  redisUrl: string;
  /** Namespaces Parley's Redis channels, for several deployments on one Redis. @default "parley" */
  redisPrefix: string;
  /** With Redis: seconds after which a silent node's users count as offline. @default 15 */
  presenceTtl: number;
  /** Seconds a user whose last connection closed still shows online (reconnects say nothing). @default 5 */
  presenceGrace: number;
  /** Port of the Prometheus /metrics listener on `host`; -1 turns it off. @default -1 */
  metricsPort: number;
  /** Cost of new password hashes; "minimal" is for tests and demos only. @default "default" */
  passwordCost: PasswordCost;
  /** IRC gateway port; 0 picks a free one. @default -1 (no IRC gateway) */
  ircPort: number;
  /** IRC over TLS, with tlsCert and tlsKey; 0 picks a free one. @default -1 (none) */
  ircTlsPort: number;
  /** HTTP requests per second per user (and 4× per address), sustained; costly ones count more. @default 10 */
  httpRate: number;
  /** HTTP requests per user in a burst (4× per address). @default 60 */
  httpBurst: number;
  /** Public rooms one user may create. @default 100 */
  maxRoomsPerUser: number;
  /** Public rooms one user may be in, and DMs one user may open. @default 1000 */
  maxRoomsJoined: number;
  /**
   * Who may register: "open", "invite" (a server invite code) or "closed" (admins create
   * accounts); a mode set with `parley-server admin registration` wins. @default "open"
   */
  registration: string;
  /** Bytes one user may upload per 24 hours. @default 524288000 */
  uploadBytesPerDay: number;
  /** Bytes of files one user may keep uploaded in all. @default 2147483648 */
  uploadBytesTotal: number;
  /** Uploads per user per minute. @default 10 */
  uploadsPerMinute: number;
  /** Uploads are refused below this many free bytes on the files' or database's disk. @default 1073741824 */
  minFreeDiskBytes: number;
  /** Hours after which a room file that no message shares is deleted. @default 24 */
  unsharedFileHours: number;
}

/** A port option that is off unless given. */
export const PORT_OFF = -1;

type Kind = "port" | "int" | "string" | "level" | "optional-port" | "password-cost";

interface Option {
  key: keyof Config;
  flag: string;
  env: string;
  kind: Kind;
  min?: number;
  help: string;
}

export const DEFAULTS: Config = {
  port: 3000,
  host: "127.0.0.1",
  db: "data/parley.db",
  logLevel: "info",
  heartbeat: 30,
  maxFrameBytes: 32 * 1024,
  maxBodyBytes: 64 * 1024,
  maxUploadBytes: 25 * 1024 * 1024,
  filesDir: "",
  rate: 20,
  burst: 60,
  maxConnectionsPerUser: 16,
  sendBufferBytes: 4 * 1024 * 1024,
  replayMax: 1000,
  sessionDays: 30,
  loginBurst: 20,
  signupBurst: 5,
  maxConnectionsPerAddress: 64,
  tlsCert: "",
  tlsKey: "",
  allowedOrigins: "",
  databaseUrl: "",
  redisUrl: "",
  redisPrefix: "parley",
  presenceTtl: 15,
  presenceGrace: 5,
  metricsPort: -1,
  passwordCost: "default",
  ircPort: PORT_OFF,
  ircTlsPort: PORT_OFF,
  httpRate: 10,
  httpBurst: 60,
  maxRoomsPerUser: 100,
  maxRoomsJoined: 1000,
  registration: "open",
  uploadBytesPerDay: 500 * 1024 * 1024,
  uploadBytesTotal: 2 * 1024 * 1024 * 1024,
  uploadsPerMinute: 10,
  minFreeDiskBytes: 1024 * 1024 * 1024,
  unsharedFileHours: 24,
};

export const OPTIONS: readonly Option[] = [
  {
    key: "port",
    flag: "--port",
    env: "PARLEY_PORT",
    kind: "port",
    help: "TCP port; 0 picks a free one",
  },
  { key: "host", flag: "--host", env: "PARLEY_HOST", kind: "string", help: "address to listen on" },
  { key: "db", flag: "--db", env: "PARLEY_DB", kind: "string", help: "SQLite database file" },
  {
    key: "logLevel",
    flag: "--log-level",
    env: "PARLEY_LOG_LEVEL",
    kind: "level",
    help: "debug, info, warn, error or silent",
  },
  {
    key: "heartbeat",
    flag: "--heartbeat",
    env: "PARLEY_HEARTBEAT",
    kind: "int",
    min: 8,
    help: "seconds before a silent connection is dropped (rounded up to a multiple of 4)",
  },
  {
    key: "maxFrameBytes",
    flag: "--max-frame-bytes",
    env: "PARLEY_MAX_FRAME_BYTES",
    kind: "int",
    min: 1024,
    help: "largest WebSocket frame accepted",
  },
  {
    key: "maxBodyBytes",
    flag: "--max-body-bytes",
    env: "PARLEY_MAX_BODY_BYTES",
    kind: "int",
    min: 1024,
    help: "largest HTTP request body",
  },
  {
    key: "maxUploadBytes",
    flag: "--max-upload-bytes",
    env: "PARLEY_MAX_UPLOAD_BYTES",
    kind: "int",
    min: 1,
    help: "largest uploaded file",
  },
  {
    key: "filesDir",
    flag: "--files-dir",
    env: "PARLEY_FILES_DIR",
    kind: "string",
    help: "directory for uploaded files (shared storage when several nodes run); default: files/ next to --db",
  },
  {
    key: "rate",
    flag: "--rate",
    env: "PARLEY_RATE",
    kind: "int",
    min: 1,
    help: "frames per second per connection, sustained",
  },
  {
    key: "burst",
    flag: "--burst",
    env: "PARLEY_BURST",
    kind: "int",
    min: 1,
    help: "frames per connection in a burst",
  },
  {
    key: "maxConnectionsPerUser",
    flag: "--max-connections-per-user",
    env: "PARLEY_MAX_CONNECTIONS_PER_USER",
    kind: "int",
    min: 1,
    help: "open WebSockets per user",
  },
  {
    key: "sendBufferBytes",
    flag: "--send-buffer-bytes",
    env: "PARLEY_SEND_BUFFER_BYTES",
    kind: "int",
    min: 65536,
    help: "unread bytes before a slow client is cut off",
  },
  {
    key: "replayMax",
    flag: "--replay-max",
    env: "PARLEY_REPLAY_MAX",
    kind: "int",
    min: 1,
    help: "messages replayed per room on resume",
  },
  {
    key: "sessionDays",
    flag: "--session-days",
    env: "PARLEY_SESSION_DAYS",
    kind: "int",
    min: 1,
    help: "session lifetime in days",
  },
  {
    key: "loginBurst",
    flag: "--login-burst",
    env: "PARLEY_LOGIN_BURST",
    kind: "int",
    min: 1,
    help: "login attempts per address per minute",
  },
  {
    key: "signupBurst",
    flag: "--signup-burst",
    env: "PARLEY_SIGNUP_BURST",
    kind: "int",
    min: 1,
    help: "registrations per address at once, then one a minute",
  },
  {
    key: "maxConnectionsPerAddress",
    flag: "--max-connections-per-address",
    env: "PARLEY_MAX_CONNECTIONS_PER_ADDRESS",
    kind: "int",
    min: 1,
    help: "open WebSockets per client address",
  },
  {
    key: "tlsCert",
    flag: "--tls-cert",
    env: "PARLEY_TLS_CERT",
    kind: "string",
    help: "PEM certificate chain file; with --tls-key serves https and wss",
  },
  {
    key: "tlsKey",
    flag: "--tls-key",
    env: "PARLEY_TLS_KEY",
    kind: "string",
    help: "PEM private key file for --tls-cert",
  },
  {
    key: "allowedOrigins",
    flag: "--allowed-origins",
    env: "PARLEY_ALLOWED_ORIGINS",
    kind: "string",
    help: "browser origins allowed besides the server's own, comma-separated (* for any)",
  },
  {
    key: "databaseUrl",
    flag: "--database-url",
    env: "DATABASE_URL",
    kind: "string",
    help: "postgres:// URL; replaces the SQLite file so several nodes can share one database",
  },
  {
    key: "redisUrl",
    flag: "--redis-url",
    env: "REDIS_URL",
    kind: "string",
    help: "redis:// URL; carries messages between nodes",
  },
  {
    key: "redisPrefix",
    flag: "--redis-prefix",
    env: "PARLEY_REDIS_PREFIX",
    kind: "string",
    help: "namespace for Parley's Redis channels",
  },
  {
    key: "presenceTtl",
    flag: "--presence-ttl",
    env: "PARLEY_PRESENCE_TTL",
    kind: "int",
    min: 1,
    help: "with Redis: seconds before a dead node's users count as offline",
  },
  {
    key: "presenceGrace",
    flag: "--presence-grace",
    env: "PARLEY_PRESENCE_GRACE",
    kind: "int",
    min: 0,
    help: "seconds a user whose last connection closed still shows online",
  },
  {
    key: "metricsPort",
    flag: "--metrics-port",
    env: "PARLEY_METRICS_PORT",
    kind: "optional-port",
    help: "serve Prometheus metrics at GET /metrics on this port of --host (0 picks one; off unless set)",
  },
  {
    key: "passwordCost",
    flag: "--password-cost",
    env: "PARLEY_PASSWORD_COST",
    kind: "password-cost",
    help: "argon2id cost of new password hashes: default, or minimal (tests and demos only: weak)",
  },
  {
    key: "ircPort",
    flag: "--irc-port",
    env: "PARLEY_IRC_PORT",
    kind: "port",
    help: "IRC gateway port (see docs/irc.md); 0 picks a free one",
  },
  {
    key: "ircTlsPort",
    flag: "--irc-tls-port",
    env: "PARLEY_IRC_TLS_PORT",
    kind: "port",
    help: "IRC over TLS port, with --tls-cert and --tls-key; 0 picks a free one",
  },
  {
    key: "httpRate",
    flag: "--http-rate",
    env: "PARLEY_HTTP_RATE",
    kind: "int",
    min: 1,
    help: "HTTP requests per second per user (4x per address), sustained",
  },
  {
    key: "httpBurst",
    flag: "--http-burst",
    env: "PARLEY_HTTP_BURST",
    kind: "int",
    min: 10,
    help: "HTTP requests per user in a burst (4x per address)",
  },
  {
    key: "maxRoomsPerUser",
    flag: "--max-rooms-per-user",
    env: "PARLEY_MAX_ROOMS_PER_USER",
    kind: "int",
    min: 1,
    help: "public rooms one user may create",
  },
  {
    key: "maxRoomsJoined",
    flag: "--max-rooms-joined",
    env: "PARLEY_MAX_ROOMS_JOINED",
    kind: "int",
    min: 1,
    help: "public rooms one user may be in, and DMs one user may open",
  },
  {
    key: "registration",
    flag: "--registration",
    env: "PARLEY_REGISTRATION",
    kind: "string",
    help: "who may register: open, invite (server invite codes) or closed (admins create accounts)",
  },
  {
    key: "uploadBytesPerDay",
    flag: "--upload-bytes-per-day",
    env: "PARLEY_UPLOAD_BYTES_PER_DAY",
    kind: "int",
    min: 1,
    help: "bytes one user may upload per 24 hours",
  },
  {
    key: "uploadBytesTotal",
    flag: "--upload-bytes-total",
    env: "PARLEY_UPLOAD_BYTES_TOTAL",
    kind: "int",
    min: 1,
    help: "bytes of files one user may keep uploaded",
  },
  {
    key: "uploadsPerMinute",
    flag: "--uploads-per-minute",
    env: "PARLEY_UPLOADS_PER_MINUTE",
    kind: "int",
    min: 1,
    help: "uploads per user per minute",
  },
  {
    key: "minFreeDiskBytes",
    flag: "--min-free-disk-bytes",
    env: "PARLEY_MIN_FREE_DISK_BYTES",
    kind: "int",
    min: 0,
    help: "uploads are refused below this much free disk",
  },
  {
    key: "unsharedFileHours",
    flag: "--unshared-file-hours",
    env: "PARLEY_UNSHARED_FILE_HOURS",
    kind: "int",
    min: 1,
    help: "hours after which a room file no message shares is deleted",
  },
];

export type ParsedConfig =
  | { kind: "config"; config: Config }
  | { kind: "help"; text: string }
  | { kind: "version" }
  | { kind: "error"; message: string };

function convert(option: Option, raw: string): { value: unknown } | { error: string } {
  const where = `${option.flag} (${option.env})`;
  switch (option.kind) {
    case "string":
      return raw.length > 0 ? { value: raw } : { error: `${where} must not be empty` };
    case "level":
      return (LOG_LEVELS as readonly string[]).includes(raw)
        ? { value: raw }
        : { error: `${where} must be one of ${LOG_LEVELS.join(", ")}, not "${raw}"` };
    case "password-cost":
      return (PASSWORD_COSTS as readonly string[]).includes(raw)
        ? { value: raw }
        : { error: `${where} must be one of ${PASSWORD_COSTS.join(", ")}, not "${raw}"` };
    case "optional-port":
    case "port":
    case "int": {
      if (!/^\d+$/.test(raw)) return { error: `${where} must be a whole number, not "${raw}"` };
      const n = Number(raw);
      if (option.kind !== "int" && n > 65535) return { error: `${where} must be 0 to 65535` };
      if (option.min !== undefined && n < option.min) {
        return { error: `${where} must be at least ${option.min}` };
      }
      if (!Number.isSafeInteger(n)) return { error: `${where} is too large` };
      return { value: n };
    }
  }
}

export function helpText(): string {
  const rows = OPTIONS.map(
    (o) =>
      `  ${`${o.flag} VALUE`.padEnd(33)} ${o.help} [${o.env}, default ${DEFAULTS[o.key] === "" ? "none" : DEFAULTS[o.key] === PORT_OFF ? "off" : DEFAULTS[o.key]}]`,
  );
  return [
    "Usage: parley-server [options]",
    "       parley-server backup --to FILE | restore --from FILE [options] (see backup --help)",
    "",
    "Options (each also read from its environment variable):",
    ...rows,
    `  ${"--help".padEnd(34)}show this help`,
    `  ${"--version".padEnd(34)}print the version`,
  ].join("\n");
}

/** Flags win over the environment, which wins over the defaults. */
export function parseConfig(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): ParsedConfig {
  const config: Config = { ...DEFAULTS };
  const assign = (option: Option, raw: string): string | undefined => {
    const result = convert(option, raw);
    if ("error" in result) return result.error;
    (config as unknown as Record<string, unknown>)[option.key] = result.value;
    return undefined;
  };
  for (const option of OPTIONS) {
    const raw = env[option.env];
    if (raw === undefined || raw === "") continue;
    const error = assign(option, raw);
    if (error) return { kind: "error", message: error };
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--help" || arg === "-h") return { kind: "help", text: helpText() };
    if (arg === "--version" || arg === "-v") return { kind: "version" };
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const option = OPTIONS.find((o) => o.flag === name);
    if (!option) return { kind: "error", message: `unknown option ${name} (see --help)` };
    const raw = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (raw === undefined) return { kind: "error", message: `${name} needs a value` };
    const error = assign(option, raw);
    if (error) return { kind: "error", message: error };
  }
  if (config.databaseUrl !== "" && !/^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    return { kind: "error", message: "--database-url (DATABASE_URL) must start with postgres://" };
  }
  if (config.redisUrl !== "" && !/^rediss?:\/\//.test(config.redisUrl)) {
    return {
      kind: "error",
      message: "--redis-url (REDIS_URL) must start with redis:// or rediss://",
    };
  }
  if ((config.tlsCert === "") !== (config.tlsKey === "")) {
    return { kind: "error", message: "--tls-cert and --tls-key go together: give both or neither" };
  }
  if (config.ircTlsPort !== PORT_OFF && config.tlsCert === "") {
    return { kind: "error", message: "--irc-tls-port needs --tls-cert and --tls-key" };
  }
  if (!["open", "invite", "closed"].includes(config.registration)) {
    return { kind: "error", message: "--registration must be open, invite or closed" };
  }
  return { kind: "config", config };
}

/** The directory uploaded files live in: --files-dir, or "files" next to the SQLite file. */
export function filesDirOf(config: Pick<Config, "filesDir" | "db">): string {
  return config.filesDir !== "" ? config.filesDir : join(dirname(config.db), "files");
}
