/**
 * What the history scenarios share: pages of `page` messages read one request at a time over
 * the WebSocket, at deterministic random depths (so two runs read the same pages), each checked
 * by the caller. The first 20 warm the JIT and the page cache; they are checked but not timed.
 */
import type { ClientSocket } from "./client-socket.ts";
import { Histogram } from "./histogram.ts";

const WARM_UP = 20;

export interface HistoryPage<M> {
  /** The `before` the page was asked for: its last message should be `before - 1`. */
  before: number;
  messages: M[];
}

export async function readHistoryPages<M>(
  s: ClientSocket,
  o: { room: number; stored: number; page: number; requests: number },
  ok: (page: HistoryPage<M>) => boolean,
): Promise<{ histogram: Histogram; wrong: number }> {
  const histogram = new Histogram();
  let wrong = 0;
  let x = 12345;
  for (let i = 0; i < o.requests + WARM_UP; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const before = o.page + 1 + (x % (o.stored - o.page));
    const reply = s.expect('{"type":"history"');
    const started = performance.now();
    s.ws.send(JSON.stringify({ type: "history", id: "h", room: o.room, before, limit: o.page }));
    const frame = await reply;
    const ms = performance.now() - started;
    if (i >= WARM_UP) histogram.record(ms);
    const { messages } = JSON.parse(frame) as { messages: M[] };
    if (!ok({ before, messages })) wrong++;
  }
  return { histogram, wrong };
}
