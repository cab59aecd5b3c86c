/**
 * Reconnect storm on several nodes (`--nodes N`): clients in 20 rooms each (rooms of 20) are
 * connected across all N nodes sharing PostgreSQL and Redis; they all drop; every room gets
 * messages meanwhile; then all reconnect at once to the survivors (every node but the first, as
 * when it died) and resume their 20 rooms in one frame each. Reported: the time until every
 * client has every missed message, and what a sender on a survivor saw meanwhile: its ack
 * round trips during the storm against the same sender's before it.
 */
import { bodyOf, ClientSocket, type Identity, type Target } from "../client-socket.ts";
import { Histogram } from "../histogram.ts";
import { split, startLoad } from "../load-process.ts";
import { expectEqual, expectNoErrors, type Scenario, withCluster } from "../scenario.ts";

const ROOMS_PER_CLIENT = 20;
const MISSED = 2;

/** Ack round trips of one message at a time from `s` to `room`, until `stop()` says so. */
async function probeSends(s: ClientSocket, room: number, stop: () => boolean, max: number) {
  const h = new Histogram();
  const body = bodyOf(100);
  for (let i = 0; i < max && !stop(); i++) {
    const started = performance.now();
    const acked = new Promise<void>((resolve) => (s.on.ack = resolve));
    s.send(body, room);
    await acked;
    h.record(performance.now() - started);
  }
  return h;
}

export const storm: Scenario = async (settings) => {
  const clients = settings.quick ? 500 : 5000;
  const nodes = Math.max(1, settings.nodes);
  return withCluster(
    settings,
    nodes,
    async (seeder) => {
      settings.log(`storm: seeding ${clients} clients in ${ROOMS_PER_CLIENT} rooms each`);
      const grid = await seeder.grid(clients, ROOMS_PER_CLIENT);
      const [writer, prober] = await seeder.users(2);
      if (!writer || !prober) throw new Error("no writer");
      const roomIds = [...new Set(grid.rooms.flat())];
      await seeder.joinAll(roomIds, writer);
      const probeRoom = await seeder.room([prober]);
      return { grid, writer, prober, roomIds, probeRoom };
    },
    async (c, { grid, writer, prober, roomIds, probeRoom }) => {
      const failures: string[] = [];
      const all: Target[] = c.nodes.map((t) => ({ kind: "parley", wsUrl: t.wsUrl }));
      const survivors = all.length > 1 ? all.slice(1) : all;
      const identities: Identity[] = grid.users.map((u, i) => ({
        ...u,
        room: grid.rooms[i]?.[0] ?? 0,
      }));
      const load = await startLoad(settings.procs);
      try {
        const parts = split(identities, settings.procs);
        const roomParts = split(grid.rooms, settings.procs);
        settings.log(
          `storm: ${clients} clients attach to ${ROOMS_PER_CLIENT} rooms on ${nodes} nodes`,
        );
        const none = (n: number) => Array(n).fill(0);
        await Promise.all(
          load.map((p, i) =>
            p.call(
              "storm",
              all,
              parts[i] ?? [],
              roomParts[i] ?? [],
              none(parts[i]?.length ?? 0),
              120_000,
            ),
          ),
        );
        await Promise.all(load.map((p) => p.call("drop")));

        const w = await ClientSocket.open(survivors[0] as Target, {
          ...writer,
          room: roomIds[0] ?? 0,
        });
        const body = bodyOf(100);
        for (const room of roomIds) for (let k = 0; k < MISSED; k++) w.send(body, room);
        const deadline = Date.now() + 120_000;
        while (w.acks < roomIds.length * MISSED && Date.now() < deadline) await Bun.sleep(5);
        expectEqual(failures, "storm writer acks", w.acks, roomIds.length * MISSED);
        await w.close();

        const p = await ClientSocket.open(survivors[0] as Target, { ...prober, room: probeRoom });
        const before = await probeSends(p, probeRoom, () => false, 100);
        settings.log(`storm: ${clients} clients resume on ${survivors.length} survivor(s)`);
        let storming = true;
        const during = probeSends(p, probeRoom, () => !storming, 100_000);
        const expected = ROOMS_PER_CLIENT * MISSED;
        const results = await Promise.all(
          load.map((lp, i) =>
            lp.call(
              "storm",
              survivors,
              parts[i] ?? [],
              roomParts[i] ?? [],
              Array(parts[i]?.length ?? 0).fill(expected),
              240_000,
            ),
          ),
        );
        storming = false;
        const sends = await during;
        await p.close();
        const seconds =
          (Math.max(...results.map((r) => r.end)) - Math.min(...results.map((r) => r.start))) /
          1000;
        expectNoErrors(
          failures,
          "storm errors",
          results.flatMap((r) => r.errors),
        );
        expectEqual(
          failures,
          "storm clients behind",
          results.reduce((n, r) => n + r.behind, 0),
          0,
        );
        expectEqual(
          failures,
          "storm deliveries",
          results.reduce((n, r) => n + r.deliveries, 0),
          clients * expected,
        );
        await Promise.all(load.map((lp) => lp.call("close")));
        return {
          name: "storm",
          workload: {
            nodes,
            survivors: survivors.length,
            clients,
            roomsPerClient: ROOMS_PER_CLIENT,
            missedPerRoom: MISSED,
            procs: settings.procs,
          },
          failures,
          figures: {
            allCaughtUp: { label: "all resumed and caught up", value: seconds * 1000, unit: "ms" },
            perSecond: { label: "resumes/s (20 rooms each)", value: clients / seconds, unit: "/s" },
            roomsPerSecond: {
              label: "rooms resumed/s",
              value: (clients * ROOMS_PER_CLIENT) / seconds,
              unit: "/s",
            },
            sendBefore: {
              label: "send ack p50 before the storm",
              value: before.quantile(0.5),
              unit: "ms",
            },
            sendDuringP50: {
              label: "send ack p50 during the storm",
              value: sends.quantile(0.5),
              unit: "ms",
            },
            sendDuringP99: {
              label: "send ack p99 during the storm",
              value: sends.quantile(0.99),
              unit: "ms",
            },
            sendDuringMax: {
              label: "send ack max during the storm",
              value: sends.quantile(1),
              unit: "ms",
            },
          },
        };
      } finally {
        await Promise.all(load.map((lp) => lp.stop()));
      }
    },
  );
};
