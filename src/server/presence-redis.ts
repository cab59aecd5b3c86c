/**
 * Presence shared by several nodes through Redis. Each node writes only its own view (one hash
 * field per user and per room, named after the node) and keeps a heartbeat key with a TTL.
 *
 * Invariants:
 * - Every transition is one Lua script, so atomic: "read the user's status across nodes, write
 *   this node's field, read it again" cannot interleave with another node's, and when two
 *   nodes drop a user's last sockets at once, exactly one of them sees online -> offline.
 * - Liveness is read inside each script (EXISTS on each field's heartbeat key), never from a
 *   list cached between heartbeats: a node that just started counts at once, a dead node's
 *   users are offline as soon as its heartbeat key expires.
 * - `P:touched:N` holds only the keys node N has a field in now: a field removed is untracked.
 * - A heartbeat that finds its own key gone (Redis restarted or lost our key) writes this
 *   node's whole view again, so presence heals within one heartbeat (TTL/3).
 *
 * Keys, under the prefix P: P:nodes (set of node ids), P:node:N (heartbeat), P:status:U (hash
 * node -> online|away), P:online:R (hash node -> count), P:touched:N (keys N has fields in).
 * The scripts read heartbeat keys they are not given as KEYS: right on one Redis (or Sentinel),
 * not on Redis Cluster.
 */
import type { RedisClient } from "bun";
import type { UserStatus } from "../protocol/index.ts";
import type { SharedPresence } from "./presence.ts";

export interface RedisPresenceOptions {
  /** Owned from here on: close() closes it. */
  redis: RedisClient;
  prefix: string;
  /** Unique per process: two nodes must never share it. */
  node: string;
  /** A node whose heartbeat is older than this is dead. @default 15000 */
  ttlMs?: number;
  /** Users whose only node died, so their rooms can be told they are offline. */
  onLost?: (userIds: number[]) => void;
  onError?: (err: unknown) => void;
}

/** This node's whole view, written again when Redis has lost it. */
export interface PresenceSnapshot {
  users: [number, UserStatus][];
  rooms: [number, number][];
}

/** Keys a reap handles per script call, so one dead node never blocks Redis for long. */
const REAP_BATCH = 500;

/** combine(key): the status across live nodes. ARGV[1] is always the heartbeat key prefix. */
const COMBINE = `
local alive = {}
local function live(node)
  local known = alive[node]
  if known == nil then
    known = redis.call('EXISTS', ARGV[1] .. node) == 1
    alive[node] = known
  end
  return known
end
local function combine(key)
  local f = redis.call('HGETALL', key)
  local status = 'offline'
  for i = 1, #f, 2 do
    if live(f[i]) then
      if f[i + 1] == 'online' then return 'online' end
      if f[i + 1] == 'away' then status = 'away' end
    end
  end
  return status
end
`;

/** KEYS: status key, touched key. ARGV: heartbeat prefix, node, status ("" = offline here). */
const REPORT = `${COMBINE}
local before = combine(KEYS[1])
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], ARGV[2])
  redis.call('SREM', KEYS[2], KEYS[1])
else
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
  redis.call('SADD', KEYS[2], KEYS[1])
end
return {before, combine(KEYS[1])}
`;

/** KEYS: online key, touched key. ARGV: heartbeat prefix, node, count (0 = none here). */
const REPORT_ONLINE = `
if tonumber(ARGV[3]) > 0 then
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
  redis.call('SADD', KEYS[2], KEYS[1])
else
  redis.call('HDEL', KEYS[1], ARGV[2])
  redis.call('SREM', KEYS[2], KEYS[1])
end
return 1
`;

/** KEYS: status keys. ARGV: heartbeat prefix. */
const STATUSES = `${COMBINE}
local out = {}
for i, key in ipairs(KEYS) do out[i] = combine(key) end
return out
`;

/** KEYS: online keys. ARGV: heartbeat prefix. */
const ONLINE = `${COMBINE}
local out = {}
for i, key in ipairs(KEYS) do
  local f = redis.call('HGETALL', key)
  local n = 0
  for j = 1, #f, 2 do
    if live(f[j]) then n = n + tonumber(f[j + 1]) end
  end
  out[i] = n
end
return out
`;

/**
 * KEYS: the dead node's touched key. ARGV: heartbeat prefix, dead node, status key prefix,
 * batch size. Removes a batch of the dead node's fields; returns {keys handled, users now
 * offline everywhere...}.
 */
const REAP = `${COMBINE}
local keys = redis.call('SPOP', KEYS[1], tonumber(ARGV[4]))
local out = {#keys}
for _, key in ipairs(keys) do
  redis.call('HDEL', key, ARGV[2])
  if string.sub(key, 1, #ARGV[3]) == ARGV[3] and combine(key) == 'offline' then
    out[#out + 1] = string.sub(key, #ARGV[3] + 1)
  end
end
return out
`;

export class RedisPresence implements SharedPresence {
  private readonly r: RedisClient;
  private readonly p: string;
  private readonly ttlMs: number;
  private readonly beats: string;
  private readonly shas = new Map<string, string>();
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Set by the server once presence exists: what to write again after Redis lost our view. */
  snapshot: (() => PresenceSnapshot) | undefined;

  private constructor(private readonly o: RedisPresenceOptions) {
    this.r = o.redis;
    this.p = o.prefix;
    this.ttlMs = o.ttlMs ?? 15_000;
    this.beats = `${this.p}:node:`;
  }

  static async start(options: RedisPresenceOptions): Promise<RedisPresence> {
    const presence = new RedisPresence(options);
    await options.redis.connect();
    await presence.beat();
    presence.timer = setInterval(
      () => presence.beat().catch((err) => presence.o.onError?.(err)),
      Math.max(250, Math.floor(presence.ttlMs / 3)),
    );
    presence.timer.unref();
    return presence;
  }

  private key(kind: string, id: string | number): string {
    return `${this.p}:${kind}:${id}`;
  }

  /** Runs a script by its SHA, loading it first (again after a Redis restart forgot it). */
  private async eval(script: string, keys: string[], args: string[]): Promise<unknown> {
    const rest = [String(keys.length), ...keys, this.beats, ...args];
    let sha = this.shas.get(script);
    if (sha) {
      try {
        return await this.r.send("EVALSHA", [sha, ...rest]);
      } catch (err) {
        if (!String((err as Error).message).includes("NOSCRIPT")) throw err;
      }
    }
    sha = String(await this.r.send("SCRIPT", ["LOAD", script]));
    this.shas.set(script, sha);
    return this.r.send("EVALSHA", [sha, ...rest]);
  }

  /** Refreshes this node's heartbeat, restores a lost view, and reaps dead nodes. */
  private async beat(): Promise<void> {
    const node = this.o.node;
    const previous = await this.r.send("SET", [
      this.key("node", node),
      "1",
      "PX",
      String(this.ttlMs),
      "GET",
    ]);
    await this.r.send("SADD", [`${this.p}:nodes`, node]);
    if (previous === null || previous === undefined) await this.restore();
    const nodes = ((await this.r.send("SMEMBERS", [`${this.p}:nodes`])) as string[]) ?? [];
    const others = nodes.filter((n) => n !== node);
    const alive = await Promise.all(
      others.map(async (n) => Number(await this.r.send("EXISTS", [this.key("node", n)])) > 0),
    );
    for (let i = 0; i < others.length; i++) if (!alive[i]) await this.reap(others[i] as string);
  }

  /** Writes this node's whole view: at start it is empty; after a Redis restart it is not. */
  private async restore(): Promise<void> {
    const view = this.snapshot?.();
    if (!view) return;
    await Promise.all([
      ...view.users.map(([user, status]) => this.report(user, status)),
      ...view.rooms.map(([room, count]) => this.writeOnline(room, count)),
    ]);
  }

  /** Removes a dead node's fields, once (whoever wins the lock), and reports its users. */
  private async reap(node: string): Promise<void> {
    const won = await this.r.send("SET", [this.key("reaped", node), "1", "NX", "PX", "60000"]);
    if (won === null || won === undefined) return;
    const touched = this.key("touched", node);
    const statusPrefix = `${this.p}:status:`;
    const lost: number[] = [];
    for (;;) {
      const out = (await this.eval(REAP, [touched], [node, statusPrefix, String(REAP_BATCH)])) as (
        | number
        | string
      )[];
      for (const id of out.slice(1)) lost.push(Number(id));
      if (Number(out[0]) < REAP_BATCH) break;
    }
    await this.r.send("SREM", [`${this.p}:nodes`, node]);
    if (lost.length > 0) this.o.onLost?.(lost);
  }

  async report(userId: number, here: UserStatus) {
    const [before, after] = (await this.eval(
      REPORT,
      [this.key("status", userId), this.key("touched", this.o.node)],
      [this.o.node, here === "offline" ? "" : here],
    )) as [UserStatus, UserStatus];
    return { before, after };
  }

  private async writeOnline(room: number, count: number): Promise<void> {
    await this.eval(
      REPORT_ONLINE,
      [this.key("online", room), this.key("touched", this.o.node)],
      [this.o.node, String(Math.max(0, count))],
    );
  }

  reportOnline(room: number, count: number): void {
    this.writeOnline(room, count).catch((err) => this.o.onError?.(err));
  }

  async statuses(userIds: readonly number[]) {
    if (userIds.length === 0) return new Map<number, UserStatus>();
    const keys = userIds.map((id) => this.key("status", id));
    const all = (await this.eval(STATUSES, keys, [])) as UserStatus[];
    return new Map(userIds.map((id, i) => [id, all[i] ?? "offline"]));
  }

  async onlineCounts(rooms: readonly number[]) {
    if (rooms.length === 0) return new Map<number, number>();
    const keys = rooms.map((room) => this.key("online", room));
    const all = (await this.eval(ONLINE, keys, [])) as number[];
    return new Map(rooms.map((room, i) => [room, Number(all[i] ?? 0)]));
  }

  /** A clean shutdown: this node's users are no longer here, at once rather than after the TTL. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const node = this.o.node;
    try {
      await this.r.send("DEL", [this.key("node", node)]);
      const touched = this.key("touched", node);
      for (;;) {
        const out = (await this.eval(
          REAP,
          [touched],
          [node, `${this.p}:status:`, String(REAP_BATCH)],
        )) as unknown[];
        if (Number(out[0]) < REAP_BATCH) break;
      }
      await this.r.send("SREM", [`${this.p}:nodes`, node]);
    } catch (err) {
      this.o.onError?.(err);
    }
    this.r.close();
  }
}
