/**
 * Idle: 10,000 authenticated connections, each joined to a room, doing nothing. The server's
 * RSS growth divided by the connections is the memory a connection costs.
 */
import { split, startLoad } from "../load-process.ts";
import { expectEqual, type Scenario, withParley } from "../scenario.ts";

const ROOM_SIZE = 100;

export const idle: Scenario = async (settings) => {
  const connections = settings.quick ? 1000 : 10_000;
  return withParley(
    settings,
    (seeder) => seeder.rooms(connections / ROOM_SIZE, ROOM_SIZE),
    async (d, identities) => {
      const failures: string[] = [];
      // One warm connection first, so one-time costs (JIT, statements) are in the baseline.
      const load = await startLoad(settings.procs);
      try {
        const [first, ...rest] = identities;
        const target = { kind: "parley" as const, wsUrl: d.target.wsUrl };
        await load[0]?.call("connect", target, first ? [first] : []);
        await Bun.sleep(500);
        const before = d.target.rssKiB();
        settings.log(`idle: ${connections} connections`);
        const parts = split(rest, settings.procs);
        const opened = await Promise.all(
          load.map((p, i) => p.call("connect", target, parts[i] ?? [])),
        );
        await Bun.sleep(2000);
        const after = d.target.rssKiB();
        const open = opened.reduce((n, c) => n + c, 0) + 1;
        expectEqual(failures, "idle connections open", open, connections);
        return {
          name: "idle",
          workload: { connections, roomSize: ROOM_SIZE },
          failures,
          figures: {
            perConnection: {
              label: "RSS per connection",
              value: ((after - before) * 1024) / (connections - 1) / 1024,
              unit: "KiB",
              target: { kind: "max", value: 8 },
            },
            rssBefore: { label: "RSS before", value: before / 1024, unit: "MiB" },
            rssAfter: { label: "RSS after", value: after / 1024, unit: "MiB" },
          },
        };
      } finally {
        await Promise.all(load.map((p) => p.stop()));
      }
    },
  );
};
