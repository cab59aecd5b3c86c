/**
 * Reconnect storm: 5,000 clients in rooms of 20 drop at once; while they are away each room
 * gets 10 messages; then all reconnect at the same moment, authenticate, and resume after the
 * last seq they saw. Reported: the time until every one is resubscribed and has every message.
 */
import { bodyOf, ClientSocket } from "../client-socket.ts";
import { split, startLoad } from "../load-process.ts";
import { expectEqual, expectNoErrors, type Scenario, withParley } from "../scenario.ts";

const ROOM_SIZE = 20;
const MISSED = 10;

export const reconnect: Scenario = async (settings) => {
  const clients = settings.quick ? 500 : 5000;
  const rooms = clients / ROOM_SIZE;
  return withParley(
    settings,
    async (seeder) => {
      const identities = await seeder.rooms(rooms, ROOM_SIZE);
      const [writer] = await seeder.users(1);
      if (!writer) throw new Error("no writer");
      const roomIds = [...new Set(identities.map((i) => i.room))];
      for (const room of roomIds) await seeder.join(room, writer);
      return { identities, writer, roomIds };
    },
    async (d, { identities, writer, roomIds }) => {
      const failures: string[] = [];
      const target = { kind: "parley" as const, wsUrl: d.target.wsUrl };
      const load = await startLoad(settings.procs);
      try {
        const parts = split(identities, settings.procs);
        settings.log(`reconnect: ${clients} clients connect`);
        await Promise.all(load.map((p, i) => p.call("connect", target, parts[i] ?? [])));
        const last = await Promise.all(load.map((p) => p.call("drop")));

        // Messages they miss, sent through the protocol by a member of every room.
        const w = await ClientSocket.open(target, { ...writer, room: roomIds[0] ?? 0 });
        const body = bodyOf(100);
        for (const room of roomIds) for (let k = 0; k < MISSED; k++) w.send(body, room);
        const deadline = Date.now() + 60_000;
        while (w.acks < roomIds.length * MISSED && Date.now() < deadline) await Bun.sleep(5);
        expectEqual(failures, "reconnect writer acks", w.acks, roomIds.length * MISSED);
        await w.close();

        const head = Object.fromEntries(roomIds.map((r) => [r, MISSED]));
        settings.log(`reconnect: ${clients} clients resume`);
        const results = await Promise.all(
          load.map((p, i) => p.call("resume", last[i] ?? [], head, 120_000)),
        );
        const seconds =
          (Math.max(...results.map((r) => r.end)) - Math.min(...results.map((r) => r.start))) /
          1000;
        expectNoErrors(
          failures,
          "reconnect errors",
          results.flatMap((r) => r.errors),
        );
        expectEqual(
          failures,
          "reconnect clients behind",
          results.reduce((n, r) => n + r.behind, 0),
          0,
        );
        expectEqual(
          failures,
          "reconnect deliveries",
          results.reduce((n, r) => n + r.deliveries, 0),
          clients * MISSED,
        );
        await Promise.all(load.map((p) => p.call("close")));
        return {
          name: "reconnect",
          workload: { clients, roomSize: ROOM_SIZE, missedPerRoom: MISSED },
          failures,
          figures: {
            allCaughtUp: { label: "all resumed and caught up", value: seconds * 1000, unit: "ms" },
            perSecond: { label: "resumes/s", value: clients / seconds, unit: "/s" },
          },
        };
      } finally {
        await Promise.all(load.map((p) => p.stop()));
      }
    },
  );
};
