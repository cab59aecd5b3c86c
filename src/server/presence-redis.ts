/**
 * Presence shared by several nodes through Redis. Each node writes only its own view (one hash
 * field per user and per room, named after the node) and keeps a heartbeat key with a TTL. An
 * answer counts only live nodes, so the users of a node that dies turn offline by themselves
 * once its heartbeat expires; the first node to notice cleans its fields up and has the
 * survivors announce those users offline.
 *
 * Keys, under the prefix P: P:nodes (set of node ids), P:node:N (heartbeat), P:status:U (hash
 * node -> online|away), P:online:R (hash node -> count), P:touched:N (keys N wrote to).
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

type Fields = Record<string, string>;

function combine(fields: Fields, alive: ReadonlySet<string>): UserStatus {
  let status: UserStatus = "offline";
  for (const [node, value] of Object.entries(fields)) {
    if (!alive.has(node)) continue;
    if (value === "online") return "online";
    if (value === "away") status = "away";
  }
  return status;
}

export class RedisPresence implements SharedPresence {
  private readonly r: RedisClient;
  private readonly p: string;
  private readonly ttlMs: number;
  private alive = new Set<string>();
  private timer: ReturnType<typeof setInterval> | undefined;

  private constructor(private readonly o: RedisPresenceOptions) {
    this.r = o.redis;
    this.p = o.prefix;
    this.ttlMs = o.ttlMs ?? 15_000;
    this.alive.add(o.node);
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

  private async fields(key: string): Promise<Fields> {
    const reply = (await this.r.send("HGETALL", [key])) as Fields | string[] | null;
    if (!reply) return {};
    if (!Array.isArray(reply)) return reply;
    const fields: Fields = {};
    for (let i = 0; i + 1 < reply.length; i += 2)
      fields[reply[i] as string] = reply[i + 1] as string;
    return fields;
  }

  /** Refreshes this node's heartbeat, learns which nodes live, and reaps the dead. */
  private async beat(): Promise<void> {
    const node = this.o.node;
    await this.r.send("SET", [this.key("node", node), "1", "PX", String(this.ttlMs)]);
    await this.r.send("SADD", [`${this.p}:nodes`, node]);
    const nodes = ((await this.r.send("SMEMBERS", [`${this.p}:nodes`])) as string[]) ?? [];
    const alive = new Set([node]);
    const dead: string[] = [];
    await Promise.all(
      nodes.map(async (n) => {
        if (n === node) return;
        if (Number(await this.r.send("EXISTS", [this.key("node", n)])) > 0) alive.add(n);
        else dead.push(n);
      }),
    );
    this.alive = alive;
    for (const n of dead) await this.reap(n);
  }

  /** Removes a dead node's fields, once (whoever wins the lock), and reports its users. */
  private async reap(node: string): Promise<void> {
    const won = await this.r.send("SET", [this.key("reaped", node), "1", "NX", "PX", "60000"]);
    if (won === null || won === undefined) return;
    const touched = this.key("touched", node);
    const keys = ((await this.r.send("SMEMBERS", [touched])) as string[]) ?? [];
    const users: number[] = [];
    for (const key of keys) {
      await this.r.send("HDEL", [key, node]);
      if (key.startsWith(`${this.p}:status:`)) users.push(Number(key.slice(this.p.length + 8)));
    }
    await this.r.send("DEL", [touched]);
    await this.r.send("SREM", [`${this.p}:nodes`, node]);
    const statuses = await this.statuses(users);
    const lost = users.filter((u) => statuses.get(u) === "offline");
    if (lost.length > 0) this.o.onLost?.(lost);
  }

  private async write(key: string, value: string | undefined): Promise<void> {
    if (value === undefined) {
      await this.r.send("HDEL", [key, this.o.node]);
      return;
    }
    await this.r.send("HSET", [key, this.o.node, value]);
    await this.r.send("SADD", [this.key("touched", this.o.node), key]);
  }

  async report(userId: number, here: UserStatus) {
    const key = this.key("status", userId);
    const fields = await this.fields(key);
    const before = combine(fields, this.alive);
    if (here === "offline") delete fields[this.o.node];
    else fields[this.o.node] = here;
    await this.write(key, here === "offline" ? undefined : here);
    return { before, after: combine(fields, this.alive) };
  }

  reportOnline(room: number, count: number): void {
    this.write(this.key("online", room), count > 0 ? String(count) : undefined).catch((err) =>
      this.o.onError?.(err),
    );
  }

  async statuses(userIds: readonly number[]) {
    const all = await Promise.all(userIds.map((id) => this.fields(this.key("status", id))));
    return new Map(userIds.map((id, i) => [id, combine(all[i] as Fields, this.alive)]));
  }

  async onlineCounts(rooms: readonly number[]) {
    const all = await Promise.all(rooms.map((room) => this.fields(this.key("online", room))));
    return new Map(
      rooms.map((room, i) => {
        let n = 0;
        for (const [node, count] of Object.entries(all[i] as Fields)) {
          if (this.alive.has(node)) n += Number(count);
        }
        return [room, n];
      }),
    );
  }

  /** A clean shutdown: this node's users are no longer here, at once rather than after the TTL. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const node = this.o.node;
    try {
      const touched = this.key("touched", node);
      const keys = ((await this.r.send("SMEMBERS", [touched])) as string[]) ?? [];
      for (const key of keys) await this.r.send("HDEL", [key, node]);
      await this.r.send("DEL", [touched, this.key("node", node)]);
      await this.r.send("SREM", [`${this.p}:nodes`, node]);
    } catch (err) {
      this.o.onError?.(err);
    }
    this.r.close();
  }
}
