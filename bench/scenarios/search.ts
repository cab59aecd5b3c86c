/**
 * Search: `GET /api/search` on a room of 1,000,000 messages (100,000 with --quick), one query at
 * a time over HTTP. Each message holds one of 1,000 words, so a one-word query matches 1,000
 * messages (100 with --quick) and the newest 20 are returned; a two-word query needs both.
 * Round trip p50/p99 as the client sees it.
 */
import { Histogram } from "../histogram.ts";
import { expectEqual, type Scenario, withParley } from "../scenario.ts";

const WORDS = 1000;
const PAGE = 20;

export const search: Scenario = async (settings) => {
  const stored = settings.quick ? 100_000 : 1_000_000;
  const queries = settings.quick ? 100 : 500;
  return withParley(
    settings,
    async (seeder) => {
      settings.log(`search: seeding ${stored} messages`);
      const [reader] = await seeder.users(1);
      if (!reader) throw new Error("no reader");
      const room = await seeder.room([reader]);
      seeder.messages(room, reader, stored, (seq) => `note ${seq} about w${seq % WORDS}z and more`);
      return { ...reader, room };
    },
    async (d, reader) => {
      const failures: string[] = [];
      const histogram = new Histogram();
      let wrong = 0;
      let x = 4242;
      for (let i = 0; i < queries + 10; i++) {
        x = (x * 1103515245 + 12345) % 2 ** 31;
        const word = `w${x % WORDS}z`;
        const q = i % 2 === 0 ? word : `${word} about`;
        const started = performance.now();
        const res = await fetch(
          `${d.target.url}/api/search?q=${encodeURIComponent(q)}&limit=${PAGE}`,
          {
            headers: { authorization: `Bearer ${reader.token}` },
          },
        );
        const body = (await res.json()) as { results?: { seq: number }[] };
        const ms = performance.now() - started;
        if (i >= 10) histogram.record(ms);
        const n = body.results?.length ?? 0;
        // Newest first: seqs fall, and each ends in the word's number.
        if (n !== PAGE || body.results?.some((r) => r.seq % WORDS !== x % WORDS)) wrong++;
      }
      expectEqual(failures, "search pages with the wrong messages", wrong, 0);
      return {
        name: "search",
        workload: { stored, words: WORDS, matchesPerWord: stored / WORDS, pageSize: PAGE, queries },
        failures,
        figures: {
          p50: { label: "query p50", value: histogram.quantile(0.5), unit: "ms" },
          p99: { label: "query p99", value: histogram.quantile(0.99), unit: "ms" },
        },
      };
    },
    // The HTTP rate limit is for people; the bench measures the query.
    ["--http-rate", "1000000", "--http-burst", "1000000"],
  );
};
