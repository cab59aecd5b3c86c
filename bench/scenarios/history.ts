/**
 * History: pages of 100 messages, at random depths, from a room holding 1,000,000 messages,
 * one request at a time over the WebSocket. Round trip p50/p99 as the client sees it.
 */
import { bodyOf, ClientSocket } from "../client-socket.ts";
import { readHistoryPages } from "../history-pages.ts";
import { expectEqual, type Scenario, withParley } from "../scenario.ts";

const PAGE = 100;

export const history: Scenario = async (settings) => {
  const stored = 1_000_000;
  const requests = settings.quick ? 200 : 2000;
  return withParley(
    settings,
    async (seeder) => {
      settings.log(`history: seeding ${stored} messages`);
      const [reader] = await seeder.users(1);
      if (!reader) throw new Error("no reader");
      const room = await seeder.room([reader]);
      seeder.messages(room, reader, stored, bodyOf(100));
      return { ...reader, room };
    },
    async (d, reader) => {
      const failures: string[] = [];
      const s = await ClientSocket.open({ kind: "parley", wsUrl: d.target.wsUrl }, reader);
      const { histogram, wrong } = await readHistoryPages<{ seq: number }>(
        s,
        { room: reader.room, stored, page: PAGE, requests },
        ({ before, messages }) =>
          messages.length === PAGE && messages[PAGE - 1]?.seq === before - 1,
      );
      await s.close();
      expectEqual(failures, "history pages with the wrong messages", wrong, 0);
      return {
        name: "history",
        workload: { stored, pageSize: PAGE, requests },
        failures,
        figures: {
          p50: { label: "page p50", value: histogram.quantile(0.5), unit: "ms" },
          p99: {
            label: "page p99",
            value: histogram.quantile(0.99),
            unit: "ms",
            target: { kind: "max", value: 1 },
          },
        },
      };
    },
  );
};
