/**
 * A whole fuzz run: for each server profile (rate limits raised so the parser is exercised, and
 * the defaults), a child server on a temp database, two bystanders chatting throughout, fuzz
 * lanes on the WebSocket, one on the HTTP API, a monitor that the server stays up, and at the
 * end the checks on the database file.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULTS } from "../../src/server/config.ts";
import { listRooms } from "./api.ts";
import { Bystander, converse } from "./bystander.ts";
import { ChildServer } from "./child-server.ts";
import { type FrameContext, FrameGenerator } from "./generator.ts";
import { HttpGenerator } from "./http-generator.ts";
import { runHttpLane } from "./http-lane.ts";
import { type AckedMessage, runLane } from "./lane.ts";
import { Random } from "./random.ts";
import { type FuzzStats, newStats } from "./stats.ts";
import {
  checkAcked,
  checkDatabase,
  compareDelivered,
  compareSnapshot,
  readMessages,
  type StoredMessage,
} from "./store-check.ts";
import { Violations } from "./violations.ts";
import { runWireLane } from "./wire-lane.ts";
import { buildWorld } from "./world.ts";

export interface FuzzOptions {
  seed: number;
  /** WebSocket frames in all, shared by the profiles. */
  frames: number;
  /** Concurrent WebSocket lanes per profile. @default 3 */
  lanes?: number;
  /** Known issues (by id) reported apart instead of failing the run. */
  tolerate?: readonly string[];
  /** Progress lines. */
  log?: (line: string) => void;
  /**
   * Called with each profile's server as the fuzz lanes start. Tests use it to crash the
   * server on purpose and check that the run notices.
   */
  onFuzzing?: (server: ChildServer) => void;
}

export interface ProfileResult {
  name: string;
  frames: number;
  elapsedMs: number;
  stats: FuzzStats;
}

export interface FuzzReport {
  seed: number;
  frames: number;
  elapsedMs: number;
  /** WebSocket frames per second over the fuzzing phases (setup and checks excluded). */
  framesPerSecond: number;
  profiles: ProfileResult[];
  violations: Violations;
}

interface Profile {
  name: string;
  args: string[];
  share: number;
  /** Milliseconds between bystander messages: under the default rate of 20/s. */
  bystanderGapMs: number;
  /** Frame mixes by lane index; lanes without one use the generator's default. */
  mixes?: FrameContext["mix"][];
}

const PROFILES: readonly Profile[] = [
  {
    name: "raised",
    args: ["--rate", "1000000", "--burst", "1000000"],
    share: 0.85,
    bystanderGapMs: 5,
  },
  // Lane 0 sends almost only valid frames: invalid ones would use up its strikes (and close
  // the socket) before it reached the rate limit.
  { name: "default", args: [], share: 0.15, bystanderGapMs: 60, mixes: [{ valid: 3000 }] },
];

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const violations = new Violations(o.tolerate);
  const root = new Random(o.seed);
  const profiles: ProfileResult[] = [];
  const started = performance.now();
  let assigned = 0;
  for (const [i, profile] of PROFILES.entries()) {
    const frames =
      i === PROFILES.length - 1 ? o.frames - assigned : Math.round(o.frames * profile.share);
    assigned += frames;
    profiles.push(await runProfile(profile, frames, root.fork(profile.name), violations, o));
  }
  const fuzzMs = profiles.reduce((sum, p) => sum + p.elapsedMs, 0);
  return {
    seed: o.seed,
    frames: o.frames,
    elapsedMs: performance.now() - started,
    framesPerSecond: fuzzMs > 0 ? (o.frames / fuzzMs) * 1000 : 0,
    profiles,
    violations,
  };
}

async function runProfile(
  profile: Profile,
  frames: number,
  rng: Random,
  violations: Violations,
  o: FuzzOptions,
): Promise<ProfileResult> {
  const log = o.log ?? (() => {});
  const laneCount = o.lanes ?? 3;
  const dir = mkdtempSync(join(tmpdir(), "parley-fuzz-"));
  const db = join(dir, "parley.db");
  const stats = newStats();
  const server = await ChildServer.start({ db, args: profile.args });
  const base = server.url;
  log(`fuzz: ${profile.name} limits: ${frames} frames at ${base}`);
  let monitor: ReturnType<typeof setInterval> | undefined;
  try {
    const world = await buildWorld(base, rng, laneCount);
    const acct = world.account;
    const byRoom = world.bystanderRoom;
    const { rooms, roomNames } = world;

    const pair = [
      await Bystander.connect({
        name: "by-a",
        wsUrl: server.wsUrl,
        token: acct("by-a").token,
        userId: acct("by-a").user.id,
        room: byRoom.id,
        violations,
        stats,
      }),
      await Bystander.connect({
        name: "by-b",
        wsUrl: server.wsUrl,
        token: acct("by-b").token,
        userId: acct("by-b").user.id,
        room: byRoom.id,
        violations,
        stats,
      }),
    ] as const;
    let fuzzing = true;
    const talk = converse(pair, rng.fork("bystanders"), profile.bystanderGapMs, () => !fuzzing);
    // A history to protect: the fuzzer must never change or remove these.
    while (pair[1].lastSeq < 20 && violations.ok) await Bun.sleep(5);
    const snapshot = readMessages(db);

    monitor = setInterval(() => {
      if (!server.alive) {
        violations.add({
          invariant: "server-alive",
          detail: `the server exited (${server.exitCode})`,
        });
        fuzzing = false;
        clearInterval(monitor);
      }
    }, 100);
    const healthChecks = (async () => {
      while (fuzzing) {
        if (server.alive && !(await server.healthy())) {
          violations.add({ invariant: "server-alive", detail: "/healthz did not answer 200" });
        }
        await Bun.sleep(500);
      }
    })();

    const acked: AckedMessage[] = [];
    o.onFuzzing?.(server);
    const t0 = performance.now();
    // A twentieth of the frames are malformed framing, sent byte by byte by the wire lane.
    const wireFrames = Math.round(frames / 20);
    const wire = runWireLane({
      name: "fz-wire",
      wsUrl: server.wsUrl,
      token: acct("fz-wire").token,
      rng: rng.fork("wire"),
      frames: wireFrames,
      violations,
      stats,
    });
    const laneFrames = frames - wireFrames;
    const per = Math.floor(laneFrames / laneCount);
    const lanes = Array.from({ length: laneCount }, (_, i) => {
      const lane = `fz-${i}`;
      const account = acct(lane);
      return runLane({
        name: lane,
        wsUrl: server.wsUrl,
        token: account.token,
        userId: account.user.id,
        generator: new FrameGenerator(rng.fork(`${lane}-frames`), {
          lane: `${profile.name[0]}${i}`,
          rooms,
          roomNames,
          userNames: world.userNames,
          userIds: world.userIds,
          maxFrameBytes: DEFAULTS.maxFrameBytes,
          ...(profile.mixes?.[i] ? { mix: profile.mixes[i] } : {}),
        }),
        rng: rng.fork(`${lane}-windows`),
        frames: i === laneCount - 1 ? laneFrames - per * (laneCount - 1) : per,
        maxFrameBytes: DEFAULTS.maxFrameBytes,
        violations,
        stats,
        acked,
      });
    });
    const http = runHttpLane({
      base,
      username: acct("fz-http").user.name,
      token: acct("fz-http").token,
      generator: new HttpGenerator(rng.fork("http"), {
        rooms,
        maxBodyBytes: DEFAULTS.maxBodyBytes,
      }),
      requests: Math.ceil(frames / 10),
      violations,
      stats,
      stop: () => !fuzzing,
    });
    const laneResults = await Promise.allSettled([...lanes, wire]);
    const elapsedMs = performance.now() - t0;
    for (const r of laneResults) {
      if (r.status === "rejected") {
        violations.add({
          invariant: "server-alive",
          detail: `a lane stopped: ${String(r.reason)}`,
        });
      }
    }
    fuzzing = false;
    await Promise.allSettled([http, talk, healthChecks]);
    clearInterval(monitor);

    // Still up, still answering.
    if (!server.alive || !(await server.healthy())) {
      violations.add({ invariant: "server-alive", detail: "the server is down after the run" });
    }
    // The bystanders catch up to the room's head, then leave.
    const head = server.alive
      ? ((await listRooms(base, acct("by-a").token)).find((r) => r.id === byRoom.id)?.head ?? 0)
      : 0;
    for (const b of pair) {
      if (server.alive && !(await b.caughtUp(head))) {
        violations.add({
          invariant: "bystander-order",
          detail: `a bystander stopped short of seq ${head}`,
        });
      }
      b.close();
    }
    for (const line of server.errors) {
      violations.add({
        invariant: "server-log",
        detail: `the server logged ${line.level} ${line.event}${line.error ? `: ${line.error}` : ""}`,
      });
    }
    if (server.alive) {
      const code = await server.stop();
      if (code !== 0)
        violations.add({ invariant: "server-alive", detail: `shutdown exited ${code}` });
    }

    // The database file, after the fact (the server is gone: stopped, or crashed).
    if (server.alive) await server.kill();
    let stored: StoredMessage[] = [];
    try {
      for (const v of checkDatabase(db)) violations.add(v);
      stored = readMessages(db, true);
    } catch (err) {
      violations.add({
        invariant: "integrity",
        detail: `cannot read the database: ${String(err)}`,
      });
    }
    for (const v of compareSnapshot(snapshot, stored)) violations.add(v);
    for (const v of checkAcked(acked, stored)) violations.add(v);
    for (const b of pair) {
      const bystanderAcks = [...b.acked].map(([seq, m]) => ({
        room: byRoom.id,
        seq,
        ...m,
        sender: b.userId,
      }));
      for (const v of checkAcked(bystanderAcks, stored)) violations.add(v);
      for (const v of compareDelivered(b.received, stored, byRoom.id)) violations.add(v);
    }
    log(
      `fuzz: ${profile.name}: ${stats.sent.total} frames in ${(elapsedMs / 1000).toFixed(1)} s, ` +
        `${stats.connections} connections, ${stats.bystanderMessages} bystander deliveries`,
    );
    return { name: profile.name, frames, elapsedMs, stats };
  } finally {
    clearInterval(monitor);
    if (server.alive) await server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
