/**
 * History with changes: pages of 100 messages, at random depths, from a room of 200,000 messages
 * (20,000 with --quick) where every message carries reactions from 3 users and every 2nd was
 * edited: what a history page costs when it shows each message in its current state. Compare
 * with `history` (plain messages) for the price of the reactions and edits.
 */
import { bodyOf, ClientSocket } from "../client-socket.ts";
import { readHistoryPages } from "../history-pages.ts";
import { expectEqual, type Scenario, withParley } from "../scenario.ts";

const PAGE = 100;
const REACTORS = 3;

export const historyEvents: Scenario = async (settings) => {
  const stored = settings.quick ? 20_000 : 200_000;
  const requests = settings.quick ? 200 : 2000;
  return withParley(
    settings,
    async (seeder) => {
      settings.log(`history-events: seeding ${stored} messages with reactions and edits`);
      const users = await seeder.users(REACTORS);
      const reader = users[0];
      if (!reader) throw new Error("no reader");
      const room = await seeder.room(users);
      seeder.messages(room, reader, stored, bodyOf(100));
      seeder.changes(room, stored, users, 2);
      return { ...reader, room };
    },
    async (d, reader) => {
      const failures: string[] = [];
      const s = await ClientSocket.open({ kind: "parley", wsUrl: d.target.wsUrl }, reader);
      type Shown = { seq: number; reactions?: { count: number }[]; edited?: number };
      const { histogram, wrong } = await readHistoryPages<Shown>(
        s,
        { room: reader.room, stored, page: PAGE, requests },
        ({ before, messages }) => {
          const last = messages[PAGE - 1];
          return (
            messages.length === PAGE &&
            last?.seq === before - 1 &&
            last.reactions?.length === REACTORS &&
            (last.seq % 2 === 0) === (last.edited !== undefined)
          );
        },
      );
      await s.close();
      expectEqual(failures, "history pages with the wrong state", wrong, 0);
      return {
        name: "history-events",
        workload: {
          stored,
          pageSize: PAGE,
          reactionsPerMessage: REACTORS,
          editedEvery: 2,
          requests,
        },
        failures,
        figures: {
          p50: { label: "page p50", value: histogram.quantile(0.5), unit: "ms" },
          p99: { label: "page p99", value: histogram.quantile(0.99), unit: "ms" },
        },
      };
    },
  );
};
