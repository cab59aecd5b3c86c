/**
 * A whole soak: a child server, many clients on the real connection layer sharing a few rooms
 * and sending at a steady rate, the killer, then a drain (no new messages; wait until every
 * outbox is empty and every client has every stored seq) and the ledger against the store.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Account, createRoom, listRooms, register } from "../fuzz/api.ts";
import { ChildServer } from "../fuzz/child-server.ts";
import { Random } from "../fuzz/random.ts";
import { checkDatabase, readMessages } from "../fuzz/store-check.ts";
import type { Violation } from "../fuzz/violations.ts";
import { type FreezeRecord, Killer, type KillRecord } from "./killer.ts";
import { account, type SoakCounts } from "./ledger.ts";
import { SoakClient } from "./soak-client.ts";

export interface SoakOptions {
  seed: number;
  clients: number;
  seconds: number;
  /** Mean seconds between SIGKILLs; 0 for none. */
  killEvery: number;
  /** @default max(2, ceil(clients / 10)) */
  rooms?: number;
  /** Messages per second per client. @default 1 */
  rate?: number;
  /** The share of chaos events that freeze the server (SIGSTOP) instead of killing it. */
  freezeShare?: number;
  /**
   * Keep sending past `seconds` until the killer has made this many kills (for at most four
   * times `seconds` in all): on a loaded machine a restart can take seconds, and a fixed run
   * then saw fewer kills than its seed planned. @default 0
   */
  minKills?: number;
  /** How long the drain may take. @default 60 */
  drainSeconds?: number;
  log?: (line: string) => void;
}

export interface SoakReport {
  options: SoakOptions;
  counts: SoakCounts;
  kills: KillRecord[];
  freezes: FreezeRecord[];
  reconnects: number;
  drained: boolean;
  drainMs: number;
  /** Store-level problems: integrity_check, gaps in seqs. */
  store: Violation[];
  /** Server processes' error-level log lines. */
  serverErrors: string[];
}

// Sessions must survive restarts, and registering is deliberately slow: spread the hashing.
async function registerAll(base: string, names: string[]): Promise<Account[]> {
  const out: Account[] = [];
  for (let i = 0; i < names.length; i += 4) {
    out.push(...(await Promise.all(names.slice(i, i + 4).map((n) => register(base, n)))));
  }
  return out;
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const log = o.log ?? (() => {});
  const rng = new Random(o.seed);
  const roomCount = o.rooms ?? Math.max(2, Math.ceil(o.clients / 10));
  const rate = o.rate ?? 1;
  const dir = mkdtempSync(join(tmpdir(), "parley-soak-"));
  const db = join(dir, "parley.db");
  // The server's own limits: a client typing faster than them must still lose nothing. With
  // freezes, the shortest heartbeat, so that silence is noticed within the run.
  const args: string[] = o.freezeShare ? ["--heartbeat", "8"] : [];
  let server = await ChildServer.start({ db, args });
  const serverErrors: string[] = [];
  const clients: SoakClient[] = [];
  let killer: Killer | undefined;
  try {
    const tag = rng.int(0, 36 ** 4).toString(36);
    const accounts = await registerAll(
      server.url,
      Array.from({ length: o.clients }, (_, i) => `soak_${tag}_${i}`),
    );
    const first = accounts[0] as Account;
    const rooms: { id: number; name: string }[] = [];
    for (let r = 0; r < roomCount; r++) {
      const room = await createRoom(server.url, first.token, `soak-${tag}-${r}`);
      rooms.push({ id: room.id, name: room.name });
    }
    // Each client sits in two neighbouring rooms, so every room is shared by several clients.
    for (const [i, acct] of accounts.entries()) {
      const mine = roomCount === 1 ? rooms : [rooms[i % roomCount], rooms[(i + 1) % roomCount]];
      clients.push(new SoakClient(acct, server.url, mine as { id: number; name: string }[]));
    }
    // The killer starts before the clients connect and join: setup is no safe harbour.
    const started = Date.now();
    killer = new Killer(server, {
      db,
      args,
      rng: rng.fork("kills"),
      everySeconds: o.killEvery,
      freezeShare: o.freezeShare ?? 0,
      started,
    });
    killer.start();
    await Promise.all(clients.map((c) => c.start()));
    log(`soak: ${o.clients} clients in ${roomCount} rooms at ${server.url}`);
    // Steady typing: each client on its own seeded jittered clock.
    const until = Date.now() + o.seconds * 1000;
    const latest = Date.now() + o.seconds * 4000;
    const sending = () =>
      Date.now() < until ||
      ((killer?.kills.length ?? 0) < (o.minKills ?? 0) && Date.now() < latest);
    await Promise.all(
      clients.map(async (c, i) => {
        const r = rng.fork(`client-${i}`);
        await Bun.sleep(r.int(0, 1000 / rate));
        while (sending()) {
          c.say(r.int(0, 1));
          await Bun.sleep((1000 / rate) * (0.5 + r.next()));
        }
      }),
    );
    await killer.stop();
    server = killer.server;
    const sentFor = Math.round((Date.now() - started) / 1000);
    log(`soak: sending stopped after ${sentFor} s, ${killer.kills.length} kills; draining`);

    // Drain: every outbox empty and every client caught up with every room's head.
    const drainStart = Date.now();
    const deadline = drainStart + (o.drainSeconds ?? 60) * 1000;
    let drained = false;
    while (Date.now() < deadline) {
      const heads = new Map(
        (await listRooms(server.url, first.token)).map((r) => [r.id, r.head] as const),
      );
      if (clients.every((c) => c.drained(heads))) {
        drained = true;
        break;
      }
      await Bun.sleep(200);
    }
    const drainMs = Date.now() - drainStart;
    for (const c of clients) c.close();
    await server.stop();
    for (const e of server.errors) serverErrors.push(`${e.event}${e.error ? `: ${e.error}` : ""}`);

    const stored = readMessages(db, true);
    return {
      options: o,
      counts: account(clients, stored),
      kills: killer.kills,
      freezes: killer.freezes,
      reconnects: clients.reduce((sum, c) => sum + c.reconnects, 0),
      drained,
      drainMs,
      store: checkDatabase(db),
      serverErrors,
    };
  } finally {
    for (const c of clients) c.close();
    await killer?.stop().catch(() => {});
    const last = killer?.server ?? server;
    if (last.alive) await last.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
