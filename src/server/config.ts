/**
 * Server configuration: the typed Config every server module receives, and its defaults. The
 * options that set it (flag, environment variable, check, help) are the table in
 * config-options.ts; config-parser.ts reads argv and the environment into a Config. Only the
 * entry points parse; everything else receives a typed Config.
 */
import { dirname, join } from "node:path";
import type { LogLevel } from "../log/log.ts";
import type { PasswordCost } from "./auth.ts";

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
  /** Milliseconds a group commit waits for more sends while commits come back to back. @default 0 */
  commitHold: number;
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
  // Off: measured quiet, a 1 ms hold cut CPU per delivery by a third but doubled the latency p50
  // (docs/performance.md, "The commit hold"); a saturated loop batches by itself.
  commitHold: 0,
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

/** The directory uploaded files live in: --files-dir, or "files" next to the SQLite file. */
export function filesDirOf(config: Pick<Config, "filesDir" | "db">): string {
  return config.filesDir !== "" ? config.filesDir : join(dirname(config.db), "files");
}
