/**
 * This node's presence: alone, or shared with the other nodes through Redis, where a dead node's
 * users go offline when its heartbeat key expires and this node tells their rooms.
 */
import { hostname } from "node:os";
import { RedisClient } from "bun";
import type { Store } from "../../db/store.ts";
import { errorFields, type Logger } from "../log/log.ts";
import type { Config } from "./config.ts";
import type { Socket } from "./hub.ts";
import { Presence } from "./presence.ts";
import { RedisPresence } from "./presence-redis.ts";

export interface NodePresence {
  presence: Presence<Socket>;
  /** Set when several nodes share presence; closed when the node stops. */
  shared: RedisPresence | undefined;
}

export async function startPresence(
  config: Config,
  store: Store,
  log: Logger,
  offlineGraceMs: number,
): Promise<NodePresence> {
  const shared = config.redisUrl
    ? await RedisPresence.start({
        redis: new RedisClient(config.redisUrl, {
          enableOfflineQueue: false,
          connectionTimeout: 5000,
        }),
        prefix: config.redisPrefix,
        node: `${hostname()}-${process.pid}-${crypto.randomUUID().slice(0, 8)}`,
        ttlMs: config.presenceTtl * 1000,
        onLost: (users) => {
          announceLost(users).catch((err) => log.error("presence.lost_failed", errorFields(err)));
        },
        onError: (err) => log.warn("presence.shared_failed", errorFields(err)),
      })
    : undefined;
  /** A dead node's users, offline everywhere now: tell their rooms, since that node cannot. */
  async function announceLost(userIds: number[]): Promise<void> {
    for (let i = 0; i < userIds.length; i += 1000) {
      for (const { user, rooms } of await store.usersWithRooms(userIds.slice(i, i + 1000))) {
        presence.lost(user, rooms);
      }
    }
  }
  const presence = new Presence<Socket>({
    ...(shared ? { shared } : {}),
    onError: (err) => log.warn("presence.shared_failed", errorFields(err)),
    offlineGraceMs,
  });
  if (shared) shared.snapshot = () => presence.snapshot();
  return { presence, shared };
}
