/**
 * Wires a Parley node together: store, bus, hub, HTTP routes and the WebSocket endpoint at /ws.
 * Everything it uses can be injected (store, bus, clock, logger), so tests run the real thing.
 */

import { hostname } from "node:os";
import { dirname } from "node:path";
import { openStore } from "../../db/open-store.ts";
import type { Store } from "../../db/store.ts";
import pkg from "../../package.json" with { type: "json" };
import type { Bus } from "../bus/bus.ts";
import { LocalBus } from "../bus/bus-local.ts";
import { RedisBus } from "../bus/bus-redis.ts";
import { createLogger, errorFields, type Logger } from "../log/log.ts";
import { CLOSE, encodeFrame, ParleyError } from "../protocol/index.ts";
import index from "../web/index.html";
import { ICON_SVG, MANIFEST } from "../web/manifest.ts";
import { serviceWorkerSource } from "../web/service-worker.ts";
import { Access } from "./access.ts";
import { Admin } from "./admin.ts";
import { Auth, hashPassword } from "./auth.ts";
import { Bots } from "./bots.ts";
import { Chat } from "./chat.ts";
import { CommitQueue } from "./commit-queue.ts";
import { type Config, filesDirOf } from "./config.ts";
import { createWebSocketHandler } from "./connection.ts";
import type { ConnectionData } from "./connection-data.ts";
import { Contacts } from "./contacts.ts";
import { Devices } from "./devices.ts";
import { FileQuota } from "./file-quota.ts";
import { Files } from "./files.ts";
import { frontDoor, jsonError } from "./front-door.ts";
import { Groups } from "./groups.ts";
import { createHttpApp } from "./http.ts";
import { Hub } from "./hub.ts";
import { Invitations } from "./invitations.ts";
import { startIrc } from "./irc-listener.ts";
import { Metrics, meteredBus } from "./metrics.ts";
import { type MetricsListener, serveMetrics } from "./metrics-http.ts";
import { Moderation } from "./moderation.ts";
import { startPresence } from "./node-presence.ts";
import { createOriginPolicy } from "./origin.ts";
import { PresenceVisibility } from "./presence-visibility.ts";
import { Registration, type RegistrationMode } from "./registration.ts";
import { Reports } from "./reports.ts";
import { Revocation } from "./revocation.ts";
import { RoomKinds } from "./room-kinds.ts";
import { withSecurityHeaders } from "./security-headers.ts";
import { SendPipeline } from "./send-pipeline.ts";
import { SessionControls } from "./session-controls.ts";
import { TypingThrottle } from "./typing.ts";
import { WebAssets } from "./web-assets.ts";

export const VERSION: string = pkg.version;

export interface ServerDeps {
  config: Config;
  store?: Store;
  bus?: Bus;
  log?: Logger;
  now?: () => number;
  /** How long a user with no connection still shows as online. @default 5000 */
  offlineGraceMs?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  store: Store;
  metrics: Metrics;
  /** Where GET /metrics is served, when --metrics-port is set. */
  metricsUrl: string | undefined;
  /** The IRC gateway's URLs (irc://, ircs://), when it runs. */
  ircUrls: string[];
  stop(): Promise<void>;
}

/** How often sessions, throttles and expired connections are swept. */
const SWEEP_MS = 60_000;
/** Sweeps between two sweeps of unshared and partial files (10 minutes). */
const FILE_SWEEP_EVERY = 10;

export async function startServer(deps: ServerDeps): Promise<RunningServer> {
  const { config } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.log ?? createLogger(config.logLevel);
  const store = deps.store ?? (await openStore(config));
  // Reads presence, created below, only when scraped.
  const metrics = new Metrics({
    connections: () => presence.connections,
    usersOnline: () => presence.usersOnline,
  });
  const bus = meteredBus(
    deps.bus ??
      (config.redisUrl
        ? new RedisBus({ url: config.redisUrl, prefix: config.redisPrefix, node: hostname(), log })
        : new LocalBus()),
    metrics,
    () => performance.now(),
  );
  const { presence, shared } = await startPresence(
    config,
    store,
    log,
    deps.offlineGraceMs ?? config.presenceGrace * 1000,
  );
  const hub = new Hub(
    presence,
    { perUser: config.maxConnectionsPerUser, perAddress: config.maxConnectionsPerAddress },
    { store, log, metrics },
  );
  const origins = createOriginPolicy(config.allowedOrigins);
  const tls = config.tlsCert !== "";
  const queue = new CommitQueue({ store, log, metrics, holdMs: config.commitHold });
  const registration = new Registration(store, config.registration as RegistrationMode);
  const auth = new Auth({
    store,
    log,
    now,
    sessionDays: config.sessionDays,
    loginBurst: config.loginBurst,
    signupBurst: config.signupBurst,
    passwordCost: config.passwordCost,
    metrics,
    botSession: (token) => bots.authenticate(token),
    registration,
  });
  const visibility = new PresenceVisibility(store);
  const contacts = new Contacts(store, (ids) => presence.statuses(ids), now, visibility);
  const devices = new Devices(store, now);
  const typing = new TypingThrottle();
  const kinds = new RoomKinds(store);
  const access = new Access({ store, cachedMember: (user, room) => presence.inRoom(user, room) });
  // Chat listens to presence and announces its changes to the rooms.
  const chat = new Chat({
    store,
    bus,
    hub,
    presence,
    access,
    kinds,
    queue,
    contacts,
    visibility,
    maxRoomsPerUser: config.maxRoomsPerUser,
    maxRoomsJoined: config.maxRoomsJoined,
    log,
    now,
    metrics,
  });
  const sends = new SendPipeline({ store, bus, queue, contacts, access, kinds, log, now, metrics });
  const revocation = new Revocation({
    store,
    bus,
    log,
    now,
    sockets: () => presence.everyone(),
    leaveRoom: (userId, room, reason) =>
      hub.removeMember(userId, room, encodeFrame({ type: "removed", room, reason })),
  });
  const bots = new Bots({
    store,
    chat,
    sends,
    hub,
    log,
    now,
    passwordCost: config.passwordCost,
    metrics,
    endSessions: (tokenHashes) => revocation.revokeSessions(tokenHashes),
  });
  const quota = new FileQuota({
    store,
    now,
    bytesPerDay: config.uploadBytesPerDay,
    bytesTotal: config.uploadBytesTotal,
    uploadsPerMinute: config.uploadsPerMinute,
    minFreeDiskBytes: config.minFreeDiskBytes,
    disks: [filesDirOf(config), dirname(config.db)],
  });
  const files = new Files({
    store,
    access,
    dir: filesDirOf(config),
    maxBytes: config.maxUploadBytes,
    log,
    now,
    quota,
    unsharedFileHours: config.unsharedFileHours,
  });
  /**
   * Closes the sockets of revoked sessions: logout, revocation and password change all come
   * here, and revocation.ts closes them on this node at once and on every other node by a signal.
   */
  const endSessions = (_userId: number, tokenHashes: readonly string[]) => {
    revocation.revokeSessions(tokenHashes);
  };
  const sessions = new SessionControls({ store, auth, log, now, endSessions });
  const moderation = new Moderation({
    store,
    log,
    now,
    publish: (room, frame) => chat.publishEphemeral(room, frame),
    roomLog: chat.roomLog,
    remove: (userId, room, why) => revocation.removeFromRoom(userId, room, why),
  });
  const admin = new Admin({
    store,
    registration,
    now,
    hashPassword: (password) => hashPassword(password, config.passwordCost),
    endUser: (userId) => revocation.revokeUser(userId),
    deleteRoom: (actor, room, reason) => moderation.deleteRoom(actor, room, reason),
  });
  const reports = new Reports({
    store,
    now,
    requireAdmin: (user) => admin.require(user),
  });
  const invitations = new Invitations({
    store,
    now,
    joined: async (user, room, join) => chat.announceJoin(user, room, join),
    tell: (userId, frame) => revocation.tell(userId, encodeFrame(frame)),
  });
  const groups = new Groups({ store, chat, hub, now, revocation });
  const app = createHttpApp({
    sessions,
    endSessions,
    files,
    auth,
    chat,
    access,
    presence,
    log,
    origins,
    maxBodyBytes: config.maxBodyBytes,
    metrics,
    bots,
    communities: { store, access, chat, moderation, invitations, reports },
    admin,
    store,
    httpRate: config.httpRate,
    httpBurst: config.httpBurst,
    now,
  });
  const websocket = createWebSocketHandler({
    config,
    store,
    chat,
    sends,
    access,
    hub,
    presence,
    contacts,
    devices,
    typing,
    log,
    now,
    version: VERSION,
    metrics,
    moderation,
    invitations,
    groups,
  });
  const web = await WebAssets.load(index, {
    // The installable app: its manifest, its icon, and the worker that caches the shell.
    "/manifest.webmanifest": { body: JSON.stringify(MANIFEST), type: "application/manifest+json" },
    "/icon.svg": { body: ICON_SVG, type: "image/svg+xml" },
    "/sw.js": {
      body: serviceWorkerSource(VERSION),
      type: "text/javascript; charset=utf-8",
      // The worker fetches the app shell from this origin, and nothing else.
      csp: "default-src 'none'; connect-src 'self'",
    },
  });
  const fetch = frontDoor({
    app,
    web,
    auth,
    sessions,
    hub,
    store,
    origins,
    metrics,
    log,
    now,
    tls,
    rate: config.rate,
    burst: config.burst,
  });

  const server = Bun.serve<ConnectionData>({
    port: config.port,
    hostname: config.host,
    // Every route enforces its own limit while streaming (hono's bodyLimit for JSON, Files for
    // uploads), with a coded error; a cap here would answer first with Bun's bare 413. Bodies
    // are streamed, not buffered, so no cap costs no memory.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    // Bun itself cuts an HTTP request whose headers never finish after about 12 s (measured;
    // the idleTimeout option does not shorten that), which bounds slow and half-open upgrades.
    ...(tls ? { tls: { cert: Bun.file(config.tlsCert), key: Bun.file(config.tlsKey) } } : {}),
    fetch,
    error(err) {
      log.error("http.unhandled", errorFields(err));
      return withSecurityHeaders(jsonError(new ParleyError("INTERNAL")), tls);
    },
    // The web app is bundled by Bun from its HTML import (embedded by bun build --compile) and
    // served from memory by WebAssets, never in development mode: no reload client for users.
    development: false,
    websocket,
  });
  hub.bind(server, bus);
  await bus.start(hub.deliver, {
    reconnected: () => {
      metrics.busReconnects.inc();
      log.warn("bus.reconnected");
      hub.resync().catch((err) => log.error("bus.resync_failed", errorFields(err)));
    },
    signal: (message) => revocation.receive(message),
  });

  // Once at start too: a restart is when a crash's partial files are left to clean.
  files.sweep().catch((err) => log.error("files.sweep_failed", errorFields(err)));
  let sweeps = 0;
  const sweep = setInterval(() => {
    hub.closeExpired(now());
    typing.prune(now());
    bots.sweep();
    quota.prune();
    auth.sweep().catch((err) => log.error("sweep.failed", errorFields(err)));
    // Unshared and partial files every FILE_SWEEP_EVERY sweeps: their deadline is in hours.
    if (++sweeps % FILE_SWEEP_EVERY === 0) {
      files.sweep().catch((err) => log.error("files.sweep_failed", errorFields(err)));
    }
  }, SWEEP_MS);
  sweep.unref();
  metrics.start();
  const metricsListener: MetricsListener | undefined =
    config.metricsPort >= 0 ? serveMetrics(metrics, config.host, config.metricsPort) : undefined;

  const url = `${tls ? "https" : "http"}://${config.host.includes(":") ? `[${config.host}]` : config.host}:${server.port}`;
  const irc = startIrc(
    config,
    { store, auth, chat, sends, hub, presence, typing, log, now },
    VERSION,
  );
  const ircUrls = irc?.urls ?? [];
  log.info("listening", {
    url,
    store: config.databaseUrl ? "postgres" : config.db,
    bus: config.redisUrl ? "redis" : "local",
    version: VERSION,
    ...(metricsListener ? { metrics: metricsListener.url } : {}),
  });

  if (ircUrls.length > 0) log.info("irc.listening", { urls: ircUrls });

  let stopping: Promise<void> | undefined;
  return {
    url,
    port: server.port as number,
    store,
    metrics,
    metricsUrl: metricsListener?.url,
    ircUrls,
    stop() {
      stopping ??= (async () => {
        clearInterval(sweep);
        revocation.close();
        metrics.stop();
        log.info("stopping");
        // Stop accepting: no new connection or upgrade from here on; open sockets stay up.
        // (Not awaited: it settles only once every connection has closed, below.)
        void server.stop(false);
        // Commit what was accepted, so those senders still get their acks; later sends get BUSY
        // and are retried by their clients, with the same cid, after the reconnect.
        await queue.close();
        // 1001 "going away": clients reconnect (to another node, or to this one restarted).
        hub.closeAll(CLOSE.GOING_AWAY, "server shutting down");
        await irc?.gateway.stop();
        await shared?.close();
        await server.stop(true);
        await bus.close();
        await store.close();
        await metricsListener?.stop();
        log.info("stopped");
      })();
      return stopping;
    },
  };
}
